import { Hono } from "hono";
import type { FeedService } from "../domain/feed-service.ts";
import { feedInput, feedPatch } from "../schemas/feed.schema.ts";
import { type AdminEnv, requireScope } from "./admin-auth.ts";
import { feedErrorProblem, problemResponse } from "./problem.ts";
import { readJsonBody } from "./request.ts";
import { serializeFeed } from "./serializers.ts";

export interface AdminFeedsDeps {
  readonly feeds: FeedService;
  readonly publicUrl: string;
  readonly maxBodyBytes: number;
}

/** `/admin/feeds`: create story feeds, edit them, close them. */
export function adminFeedRoutes({ feeds, publicUrl, maxBodyBytes }: AdminFeedsDeps) {
  const routes = new Hono<AdminEnv>();

  routes.post("/", requireScope("admin"), async (c) => {
    const input = await readJsonBody(c, feedInput, maxBodyBytes);
    const result = await feeds.create(input);
    if (!result.ok) return problemResponse(feedErrorProblem(result.error));
    return c.json(serializeFeed(result.value, publicUrl), 201, {
      location: `/admin/feeds/${result.value.slug}`,
    });
  });

  routes.get("/", requireScope("publish"), async (c) => {
    const all = await feeds.list();
    return c.json({ items: all.map((feed) => serializeFeed(feed, publicUrl)) });
  });

  routes.get("/:slug", requireScope("publish"), async (c) => {
    const result = await feeds.get(c.req.param("slug"));
    if (!result.ok) return problemResponse(feedErrorProblem(result.error));
    return c.json(serializeFeed(result.value, publicUrl));
  });

  routes.patch("/:slug", requireScope("admin"), async (c) => {
    const patch = await readJsonBody(c, feedPatch, maxBodyBytes);
    const result = await feeds.update(c.req.param("slug"), patch);
    if (!result.ok) return problemResponse(feedErrorProblem(result.error));
    return c.json(serializeFeed(result.value, publicUrl));
  });

  return routes;
}
