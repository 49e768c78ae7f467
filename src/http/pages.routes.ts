import { Hono } from "hono";
import { isPublic } from "../domain/article.ts";
import type { ArticleService } from "../domain/articles.ts";
import type { Clock } from "../domain/ports.ts";
import { articlePage, gonePage } from "../web/article-page.ts";
import { problem, problemResponse } from "./problem.ts";

/** Reader-facing pages. Deleted articles answer 410 Gone; scheduled ones do not exist yet. */
export function pageRoutes(deps: {
  articles: ArticleService;
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
  return routes;
}
