import { Hono } from "hono";
import { sanitizeArticleHtml } from "../content/sanitize-html.ts";
import type { ArticleService } from "../domain/articles.ts";
import { decodeCursor } from "../domain/cursor.ts";
import type { Clock } from "../domain/ports.ts";
import {
  type ArticleInput,
  type ArticlePatch,
  articleInput,
  articleListQuery,
  articlePatch,
} from "../schemas/article.schema.ts";
import {
  articleErrorProblem,
  ProblemError,
  problemResponse,
  validationProblem,
} from "./problem.ts";
import { readJsonBody, readQuery } from "./request.ts";
import { serializeArticle } from "./serializers.ts";

export interface AdminArticlesDeps {
  readonly articles: ArticleService;
  readonly clock: Clock;
  readonly publicUrl: string;
  readonly maxBodyBytes: number;
}

/** `/admin/articles`: push, list, read, revise and delete stories. */
export function adminArticleRoutes(deps: AdminArticlesDeps): Hono {
  const { articles, clock, publicUrl, maxBodyBytes } = deps;
  const routes = new Hono();
  const toJson = (article: Parameters<typeof serializeArticle>[0]) =>
    serializeArticle(article, publicUrl, clock.now());

  routes.post("/", async (c) => {
    const input = await readJsonBody(c, articleInput, maxBodyBytes);
    const result = await articles.publish(toDraft(input, publicUrl, clock.now()));
    if (!result.ok) return problemResponse(articleErrorProblem(result.error));
    const { article, created } = result.value;
    const location = `/admin/articles/${article.id}`;
    return c.json(toJson(article), created ? 201 : 200, { location });
  });

  routes.get("/", async (c) => {
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

  routes.get("/:id", async (c) => {
    const result = await articles.get(c.req.param("id"));
    if (!result.ok) return problemResponse(articleErrorProblem(result.error));
    return c.json(toJson(result.value));
  });

  routes.patch("/:id", async (c) => {
    const patch = await readJsonBody(c, articlePatch, maxBodyBytes);
    const result = await articles.update(c.req.param("id"), toChanges(patch, publicUrl));
    if (!result.ok) return problemResponse(articleErrorProblem(result.error));
    return c.json(toJson(result.value));
  });

  routes.delete("/:id", async (c) => {
    const result = await articles.remove(c.req.param("id"));
    if (!result.ok) return problemResponse(articleErrorProblem(result.error));
    return c.body(null, 204);
  });

  return routes;
}

/** Relative links in the body resolve against the publisher's page, else our own origin. */
function sanitizeBody(
  bodyHtml: string,
  canonicalUrl: string | null | undefined,
  publicUrl: string,
) {
  return sanitizeArticleHtml(bodyHtml, canonicalUrl ?? `${publicUrl}/`);
}

function toDraft(input: ArticleInput, publicUrl: string, now: Date) {
  return {
    ...input,
    language: input.language ?? null,
    bodyHtml: sanitizeBody(input.bodyHtml, input.canonicalUrl, publicUrl),
    publishedAt: input.publishedAt ?? now,
  };
}

function toChanges(patch: ArticlePatch, publicUrl: string) {
  return {
    ...patch,
    bodyHtml:
      patch.bodyHtml === undefined
        ? undefined
        : sanitizeBody(patch.bodyHtml, patch.canonicalUrl, publicUrl),
  };
}
