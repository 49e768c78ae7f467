import { Hono } from "hono";
import { isPublic } from "../domain/article.ts";
import type { ArticleService } from "../domain/articles.ts";
import { FEED_SLUG_PATTERN } from "../domain/feed.ts";
import type { FeedService } from "../domain/feeds.ts";
import type { Clock } from "../domain/ports.ts";
import { articlePage, gonePage } from "../web/article-page.ts";
import { feedPage } from "../web/feed-page.ts";
import { problem, problemResponse } from "./problem.ts";

/** Reader-facing pages. Deleted articles answer 410 Gone; scheduled ones do not exist yet. */
export function pageRoutes(deps: {
  articles: ArticleService;
  feeds: FeedService;
  clock: Clock;
  publicUrl: string;
}): Hono {
  const routes = new Hono();
  routes.get("/articles/:id", async (c) => {
    const result = await deps.articles.get(c.req.param("id"));
    if (!result.ok) return problemResponse(problem("notFound", "No such article"));
    const article = result.value;
    if (article.deletedAt) return c.html(gonePage(deps.publicUrl), 410);
    if (!isPublic(article, deps.clock.now()))
      return problemResponse(problem("notFound", "No such article"));
    c.header("cache-control", "public, max-age=60");
    return c.html(articlePage(article, deps.publicUrl));
  });
  // Registered last by the app: any other first-level path is taken before this one.
  routes.get("/:slug", async (c, next) => {
    const slug = c.req.param("slug");
    if (!FEED_SLUG_PATTERN.test(slug)) return next();
    const feed = await deps.feeds.get(slug);
    if (!feed.ok) return next();
    const latest = await deps.articles.latestPublic(slug, 20);
    c.header("cache-control", "public, max-age=60");
    c.header("vary", "Accept");
    return c.html(feedPage(feed.value, latest, deps.publicUrl));
  });
  return routes;
}
