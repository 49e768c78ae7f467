import { Hono } from "hono";
import { z } from "zod";
import type { FollowerListView } from "../storage/views/follower-list.view.ts";
import { type AdminEnv, requireScope } from "./admin-auth.ts";
import { ProblemError, problem, problemResponse, validationProblem } from "./problem.ts";
import { readQuery } from "./request.ts";

const followerListQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(200).default(50),
    cursor: z.string().max(2000).optional(),
  })
  .strict();

/** `GET /admin/feeds/{slug}/followers`: who follows a feed on the fediverse, newest first. */
export function adminFollowerRoutes(followers: FollowerListView) {
  const routes = new Hono<AdminEnv>();
  routes.get("/:slug/followers", requireScope("admin"), async (c) => {
    const slug = c.req.param("slug");
    const query = readQuery(c, followerListQuery);
    const result = await followers.page(slug, query.limit, query.cursor);
    if (!result.ok) {
      if (result.error === "feed-not-found") {
        return problemResponse(problem("notFound", `No feed named "${slug}"`));
      }
      throw new ProblemError(
        validationProblem([
          { pointer: "/query/cursor", detail: "is not a cursor this API handed out" },
        ]),
      );
    }
    const { items, total, nextCursor } = result.value;
    return c.json({
      items: items.map((row) => ({
        actorId: row.actorId,
        inboxUrl: row.inboxUrl,
        sharedInboxUrl: row.sharedInboxUrl,
        createdAt: row.createdAt.toISOString(),
      })),
      total,
      nextCursor,
    });
  });
  return routes;
}
