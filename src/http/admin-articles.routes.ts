import { Hono } from "hono";
import type { ArticleService } from "../domain/article-service.ts";
import { decodeCursor } from "../domain/cursor.ts";
import type { LiveUpdateService } from "../domain/live-update-service.ts";
import type { Clock } from "../domain/ports.ts";
import {
  articleInput,
  articleListQuery,
  articlePatch,
  liveUpdateInput,
  liveUpdateListQuery,
  liveUpdatePatch,
} from "../schemas/article.schema.ts";
import { type AdminEnv, requireScope } from "./admin-auth.ts";
import { articleCommands } from "./article-commands.ts";
import {
  articleErrorProblem,
  liveUpdateErrorProblem,
  ProblemError,
  problemResponse,
  validationProblem,
} from "./problem.ts";
import { readJsonBody, readQuery } from "./request.ts";
import { serializeArticle, serializeLiveUpdate } from "./serializers.ts";

export interface AdminArticlesDeps {
  readonly articles: ArticleService;
  /** Live updates of developing stories; without it, the `/updates` routes are absent. */
  readonly liveUpdates?: LiveUpdateService | undefined;
  readonly clock: Clock;
  readonly publicUrl: string;
  readonly maxBodyBytes: number;
  /** Largest article body, in bytes of HTML after sanitising (ARTICLE_MAX_BYTES). */
  readonly maxArticleBytes: number;
  /** After a new story is stored: its page is rendered now, before the fediverse asks for it. */
  readonly onPublished?: ((articleId: string) => void) | undefined;
}

/** `/admin/articles`: push, list, read, revise and delete stories. */
export function adminArticleRoutes(deps: AdminArticlesDeps) {
  const { articles, clock, publicUrl, maxBodyBytes } = deps;
  const commands = articleCommands(deps);
  const routes = new Hono<AdminEnv>();
  const toJson = (article: Parameters<typeof serializeArticle>[0]) =>
    serializeArticle(article, publicUrl, clock.now());

  routes.post("/", requireScope("publish"), async (c) => {
    const input = await readJsonBody(c, articleInput, maxBodyBytes);
    const result = await commands.publish(input);
    if (!result.ok) return problemResponse(articleErrorProblem(result.error));
    const { article, created } = result.value;
    const location = `/admin/articles/${article.id}`;
    return c.json(toJson(article), created ? 201 : 200, { location });
  });

  routes.get("/", requireScope("publish"), async (c) => {
    const query = readQuery(c, articleListQuery);
    if (query.cursor !== undefined && !decodeCursor(query.cursor)) {
      throw new ProblemError(
        validationProblem([
          { pointer: "/query/cursor", detail: "is not a cursor this API handed out" },
        ]),
      );
    }
    const result = await articles.list(query);
    if (!result.ok) return problemResponse(articleErrorProblem(result.error));
    return c.json({
      items: result.value.items.map(toJson),
      nextCursor: result.value.nextCursor,
    });
  });

  routes.get("/:id", requireScope("publish"), async (c) => {
    const result = await articles.get(c.req.param("id"));
    if (!result.ok) return problemResponse(articleErrorProblem(result.error));
    return c.json(toJson(result.value));
  });

  routes.patch("/:id", requireScope("publish"), async (c) => {
    const patch = await readJsonBody(c, articlePatch, maxBodyBytes);
    const result = await commands.update(c.req.param("id"), patch);
    if (!result.ok) return problemResponse(articleErrorProblem(result.error));
    return c.json(toJson(result.value));
  });

  routes.delete("/:id", requireScope("admin"), async (c) => {
    const result = await articles.remove(c.req.param("id"));
    if (!result.ok) return problemResponse(articleErrorProblem(result.error));
    return c.body(null, 204);
  });

  const liveUpdates = deps.liveUpdates;
  if (liveUpdates) {
    const updateJson = (update: Parameters<typeof serializeLiveUpdate>[0]) =>
      serializeLiveUpdate(update, publicUrl, clock.now());

    routes.post("/:id/updates", requireScope("publish"), async (c) => {
      const input = await readJsonBody(c, liveUpdateInput, maxBodyBytes);
      const result = await commands.pushUpdate(liveUpdates, c.req.param("id"), input);
      if (!result.ok) return problemResponse(liveUpdateErrorProblem(result.error));
      const { update, created } = result.value;
      const location = `/admin/articles/${update.articleId}/updates/${update.id}`;
      return c.json(updateJson(update), created ? 201 : 200, { location });
    });

    routes.get("/:id/updates", requireScope("publish"), async (c) => {
      const query = readQuery(c, liveUpdateListQuery);
      const result = await liveUpdates.list(c.req.param("id"), query);
      if (!result.ok) return problemResponse(liveUpdateErrorProblem(result.error));
      return c.json({ items: result.value.map(updateJson) });
    });

    routes.patch("/:id/updates/:updateId", requireScope("publish"), async (c) => {
      const patch = await readJsonBody(c, liveUpdatePatch, maxBodyBytes);
      const result = await liveUpdates.revise(c.req.param("id"), c.req.param("updateId"), {
        ...patch,
        bodyHtml: patch.bodyHtml === undefined ? undefined : commands.body(patch.bodyHtml, null),
      });
      if (!result.ok) return problemResponse(liveUpdateErrorProblem(result.error));
      return c.json(updateJson(result.value));
    });

    routes.delete("/:id/updates/:updateId", requireScope("publish"), async (c) => {
      const result = await liveUpdates.remove(c.req.param("id"), c.req.param("updateId"));
      if (!result.ok) return problemResponse(liveUpdateErrorProblem(result.error));
      return c.body(null, 204);
    });
  }

  return routes;
}
