import { Hono } from "hono";
import { hashToken, newTokenSecret } from "../domain/admin-token.ts";
import { uuidv7 } from "../domain/ids.ts";
import type { Clock } from "../domain/ports.ts";
import { tokenInput } from "../schemas/admin-token.schema.ts";
import type { AdminTokenRepository, StoredToken } from "../storage/admin-token-repository.ts";
import { type AdminEnv, requireScope } from "./admin-auth.ts";
import { problem, problemResponse } from "./problem.ts";
import { readJsonBody } from "./request.ts";

export interface AdminTokensDeps {
  readonly tokens: AdminTokenRepository;
  readonly clock: Clock;
  readonly maxBodyBytes: number;
}

const toJson = (token: StoredToken) => ({
  id: token.id,
  name: token.name,
  scope: token.scope,
  createdAt: token.createdAt.toISOString(),
  revokedAt: token.revokedAt?.toISOString() ?? null,
});

/** `/admin/tokens`: create (the secret is in that answer only), list and revoke admin tokens. */
export function adminTokenRoutes({ tokens, clock, maxBodyBytes }: AdminTokensDeps) {
  const routes = new Hono<AdminEnv>();

  routes.post("/", requireScope("admin"), async (c) => {
    const input = await readJsonBody(c, tokenInput, maxBodyBytes);
    const secret = newTokenSecret();
    const token = { id: uuidv7(), ...input, createdAt: clock.now() };
    const created = await tokens.insert({ ...token, tokenHash: await hashToken(secret) });
    if (!created) {
      return problemResponse(
        problem("conflict", `A live token named "${input.name}" exists; revoke it first`, {
          errors: [{ pointer: "/name", detail: "is taken by a live token" }],
        }),
      );
    }
    return c.json({ ...toJson({ ...token, revokedAt: null }), token: secret }, 201, {
      location: `/admin/tokens/${token.id}`,
      "cache-control": "no-store",
    });
  });

  routes.get("/", requireScope("admin"), async (c) =>
    c.json({ items: (await tokens.list()).map(toJson) }),
  );

  routes.delete("/:idOrName", requireScope("admin"), async (c) => {
    const idOrName = c.req.param("idOrName");
    const revoked = await tokens.revoke(idOrName, clock.now());
    if (!revoked) return problemResponse(problem("notFound", `No live token "${idOrName}"`));
    return c.json(toJson(revoked));
  });

  return routes;
}
