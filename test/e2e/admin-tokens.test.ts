import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SCOPE_CHECK } from "../../src/http/admin-auth.ts";
import { DATABASE_KINDS } from "../support/databases.ts";
import { ADMIN_TOKEN, createTestApp, type TestApp } from "../support/test-app.ts";

interface TokenJson {
  id: string;
  name: string;
  scope: string;
  token?: string;
  revokedAt: string | null;
}
interface AuditJson {
  items: { tokenName: string; action: string; target: string; status: number; at: string }[];
  nextCursor: string | null;
}

const article = (headline: string) => ({
  headline,
  bodyHtml: "<p>Text</p>",
  feeds: ["world"],
});

describe.each(DATABASE_KINDS)("scoped admin tokens and the audit log (%s)", (kind) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(kind);
  });
  afterAll(async () => {
    await t?.destroy();
  });

  const as = (token: string, method: string, path: string, body?: unknown) =>
    t.app.request(path, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  const create = async (name: string, scope: string) => {
    const response = await t.admin("POST", "/admin/tokens", { name, scope });
    expect(response.status).toBe(201);
    return (await response.json()) as TokenJson & { token: string };
  };

  it("shows a new token once, stores only its hash, and never lists the secret", async () => {
    const cms = await create("cms", "publish");
    expect(cms).toMatchObject({ name: "cms", scope: "publish", revokedAt: null });
    expect(cms.token).toMatch(/^tdg_[A-Za-z0-9_-]{43}$/);
    const stored = await t.database.db.selectFrom("adminTokens").selectAll().execute();
    expect(stored.map((row) => row.tokenHash)).not.toContain(cms.token);
    expect(stored.find((row) => row.name === "cms")?.tokenHash).toMatch(/^[0-9a-f]{64}$/);
    const listed = (await (await t.admin("GET", "/admin/tokens")).json()) as {
      items: TokenJson[];
    };
    expect(listed.items.map((token) => token.name)).toContain("cms");
    expect(listed.items.every((token) => token.token === undefined)).toBe(true);
  });

  it("refuses a second live token of the same name (409) and bad input (422)", async () => {
    const again = await t.admin("POST", "/admin/tokens", { name: "cms", scope: "admin" });
    expect(again.status).toBe(409);
    const bad = await t.admin("POST", "/admin/tokens", { name: "no spaces", scope: "root" });
    expect(bad.status).toBe(422);
    const body = (await bad.json()) as { errors: { pointer: string }[] };
    expect(body.errors.map((e) => e.pointer).sort()).toEqual(["/name", "/scope"]);
  });

  it("lets a publish token push, read and correct articles, and nothing else (403)", async () => {
    const desk = await create("desk", "publish");
    const pushed = await as(desk.token, "POST", "/admin/articles", article("Pushed by the desk"));
    expect(pushed.status).toBe(201);
    const { id } = (await pushed.json()) as { id: string };
    expect((await as(desk.token, "GET", `/admin/articles/${id}`)).status).toBe(200);
    const corrected = await as(desk.token, "PATCH", `/admin/articles/${id}`, {
      headline: "Corrected by the desk",
    });
    expect(corrected.status).toBe(200);
    expect((await as(desk.token, "GET", "/admin/feeds/world")).status).toBe(200);

    for (const [method, path, body] of [
      ["DELETE", `/admin/articles/${id}`, undefined],
      ["POST", "/admin/feeds", { slug: "desk-feed", title: "Desk" }],
      ["PATCH", "/admin/feeds/world", { title: "Renamed" }],
      ["GET", "/admin/feeds/world/followers", undefined],
      ["GET", "/admin/tokens", undefined],
      ["POST", "/admin/tokens", { name: "escalate", scope: "admin" }],
      ["GET", "/admin/audit", undefined],
    ] as const) {
      const response = await as(desk.token, method, path, body);
      expect(response.status, `${method} ${path}`).toBe(403);
      expect(response.headers.get("content-type")).toBe("application/problem+json");
      expect(await response.json()).toMatchObject({
        type: "/problems/forbidden",
        requiredScope: "admin",
      });
    }
    expect((await t.admin("GET", `/admin/articles/${id}`)).status).toBe(200);
  });

  it("lets an admin token do everything, and ADMIN_TOKEN keeps working as admin", async () => {
    const ops = await create("ops", "admin");
    expect((await as(ops.token, "GET", "/admin/feeds/world/followers")).status).toBe(200);
    expect((await as(ops.token, "GET", "/admin/tokens")).status).toBe(200);
    expect((await as(ADMIN_TOKEN, "GET", "/admin/audit")).status).toBe(200);
  });

  it("stops accepting a revoked token at once, and frees its name", async () => {
    const temp = await create("temp", "publish");
    expect((await as(temp.token, "GET", "/admin/feeds")).status).toBe(200);
    const revoked = await t.admin("DELETE", "/admin/tokens/temp");
    expect(revoked.status).toBe(200);
    expect(((await revoked.json()) as TokenJson).revokedAt).not.toBeNull();
    const refused = await as(temp.token, "GET", "/admin/feeds");
    expect(refused.status).toBe(401);
    expect((await t.admin("DELETE", "/admin/tokens/temp")).status).toBe(404);
    const replacement = await create("temp", "publish");
    expect(replacement.token).not.toBe(temp.token);
  });

  it("records every admin write with the token's name, newest first, paged", async () => {
    const audit = (await (await t.admin("GET", "/admin/audit?limit=100")).json()) as AuditJson;
    const byDesk = audit.items.filter((entry) => entry.tokenName === "desk");
    expect(byDesk.map((entry) => entry.action)).toEqual([
      "PATCH /admin/articles/:id",
      "POST /admin/articles",
    ]);
    expect(byDesk[1]?.target).toMatch(/^\/admin\/articles\/[0-9a-f-]{36}$/);
    expect(byDesk[0]?.target).toBe(byDesk[1]?.target);
    expect(byDesk.every((entry) => entry.status < 300)).toBe(true);
    // Refused writes (403, 409, 422) changed nothing and are not in the log; reads never are.
    expect(audit.items.every((entry) => entry.status < 400)).toBe(true);
    expect(audit.items.some((entry) => entry.action.startsWith("GET"))).toBe(false);
    const adminWrites = audit.items.filter((entry) => entry.tokenName === "ADMIN_TOKEN");
    expect(adminWrites.map((entry) => entry.action)).toContain("DELETE /admin/tokens/:idOrName");
    expect(adminWrites.filter((e) => e.action === "POST /admin/tokens")).toHaveLength(5);

    const first = (await (await t.admin("GET", "/admin/audit?limit=2")).json()) as AuditJson;
    expect(first.items).toHaveLength(2);
    const second = (await (
      await t.admin("GET", `/admin/audit?limit=2&cursor=${first.nextCursor}`)
    ).json()) as AuditJson;
    expect((second.items[0]?.at ?? "") <= (first.items[1]?.at ?? "")).toBe(true);
    expect(second.items.map((e) => e.target)).not.toEqual(first.items.map((e) => e.target));
    expect((await t.admin("GET", "/admin/audit?cursor=nonsense")).status).toBe(422);
  });

  it("slows an address that keeps failing to authenticate (429 with Retry-After)", async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) {
      statuses.push((await as(`wrong-token-${i}`, "GET", "/admin/feeds")).status);
    }
    expect(statuses.slice(0, 10)).toEqual(Array(10).fill(401));
    expect(statuses.slice(10)).toEqual([429, 429]);
    // While slowed, even a good token waits: nothing is checked from this address.
    const slowed = await t.admin("GET", "/admin/feeds");
    expect(slowed.status).toBe(429);
    expect(Number(slowed.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(await slowed.json()).toMatchObject({ type: "/problems/too-many-requests" });
  });
});

describe("every admin route declares its scope", () => {
  it("has a requireScope check on each method and path under /admin (but the OpenAPI document)", async () => {
    const t = await createTestApp("pglite");
    try {
      const routes = t.app.routes.filter(
        (route) => route.path.startsWith("/admin/") && route.method !== "ALL",
      );
      const declared = new Map<string, unknown>();
      for (const route of routes) {
        const key = `${route.method} ${route.path}`;
        const scope = (route.handler as { [SCOPE_CHECK]?: string })[SCOPE_CHECK];
        if (scope) declared.set(key, scope);
        else if (!declared.has(key)) declared.set(key, undefined);
      }
      declared.delete("GET /admin/openapi.json");
      expect(declared.size).toBeGreaterThan(10);
      const undeclared = [...declared].filter(([, scope]) => scope === undefined);
      expect(undeclared).toEqual([]);
      expect(declared.get("POST /admin/articles")).toBe("publish");
      expect(declared.get("DELETE /admin/articles/:id")).toBe("admin");
    } finally {
      await t.destroy();
    }
  });
});
