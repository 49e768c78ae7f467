import { Hono } from "hono";
import { z } from "zod";
import type { Db } from "../storage/database.ts";
import {
  createFollowerRepository,
  type FollowerListCursor,
} from "../storage/follower-repository.ts";
import { ProblemError, problem, problemResponse, validationProblem } from "./problem.ts";
import { readQuery } from "./request.ts";

export interface AdminFollowersDeps {
  readonly db: Db;
}

const followerListQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(200).default(50),
    cursor: z.string().max(2000).optional(),
  })
  .strict();

/** `GET /admin/feeds/{slug}/followers`: who follows a feed on the fediverse, newest first. */
export function adminFollowerRoutes({ db }: AdminFollowersDeps): Hono {
  const followers = createFollowerRepository(db);
  const routes = new Hono();

  routes.get("/:slug/followers", async (c) => {
    const slug = c.req.param("slug");
    const query = readQuery(c, followerListQuery);
    const after = query.cursor === undefined ? null : decodeFollowerCursor(query.cursor);
    if (after === undefined) {
      throw new ProblemError(
        validationProblem([
          { pointer: "/query/cursor", detail: "is not a cursor this API handed out" },
        ]),
      );
    }
    const feed = await db
      .selectFrom("feeds")
      .select("slug")
      .where("slug", "=", slug)
      .executeTakeFirst();
    if (!feed) return problemResponse(problem("notFound", `No feed named "${slug}"`));

    // One extra row tells whether there is a next page.
    const rows = await followers.list(slug, after, query.limit + 1);
    const page = rows.slice(0, query.limit);
    const last = page.at(-1);
    return c.json({
      items: page.map((row) => ({
        actorId: row.actorId,
        inboxUrl: row.inboxUrl,
        sharedInboxUrl: row.sharedInboxUrl,
        createdAt: new Date(row.createdAt).toISOString(),
      })),
      total: await followers.count(slug),
      nextCursor:
        rows.length > query.limit && last
          ? encodeFollowerCursor({ createdAt: new Date(last.createdAt), actorId: last.actorId })
          : null,
    });
  });

  return routes;
}

// Portable base64url (no Buffer): the app also targets runtimes without Node's globals.
function encodeFollowerCursor(cursor: FollowerListCursor): string {
  const json = JSON.stringify([cursor.createdAt.toISOString(), cursor.actorId]);
  const binary = String.fromCharCode(...new TextEncoder().encode(json));
  return btoa(binary).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

function decodeFollowerCursor(encoded: string): FollowerListCursor | undefined {
  try {
    const binary = atob(encoded.replaceAll("-", "+").replaceAll("_", "/"));
    const bytes = Uint8Array.from(binary, (char) => char.charCodeAt(0));
    const value: unknown = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
    if (!Array.isArray(value) || value.length !== 2) return undefined;
    const [iso, actorId] = value;
    if (typeof iso !== "string" || typeof actorId !== "string" || actorId === "") return undefined;
    const createdAt = new Date(iso);
    return Number.isNaN(createdAt.getTime()) ? undefined : { createdAt, actorId };
  } catch {
    return undefined;
  }
}
