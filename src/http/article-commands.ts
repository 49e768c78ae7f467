import { sanitizeArticleHtml } from "../content/sanitize-html.ts";
import type { ArticleService } from "../domain/article-service.ts";
import type { LiveUpdateService } from "../domain/live-update-service.ts";
import type { Clock } from "../domain/ports.ts";
import type { ArticleInput, ArticlePatch, LiveUpdateInput } from "../schemas/article.schema.ts";
import { ProblemError, validationProblem } from "./problem.ts";

export interface ArticleCommandDeps {
  readonly articles: ArticleService;
  readonly liveUpdates?: LiveUpdateService | undefined;
  readonly clock: Clock;
  readonly publicUrl: string;
  /** Largest article body, in bytes of HTML after sanitising (ARTICLE_MAX_BYTES). */
  readonly maxArticleBytes: number;
  /** After a new story is stored: its page is rendered now, before the fediverse asks for it. */
  readonly onPublished?: ((articleId: string) => void) | undefined;
}

/**
 * What the admin API and the desk do with validated input: sanitise the HTML, fill defaults and
 * call the domain services. One copy, so a story pushed from the desk is stored exactly as the
 * same story pushed through `POST /admin/articles`. Throws ProblemError (422) for a body too
 * large after sanitising.
 */
export function articleCommands(deps: ArticleCommandDeps) {
  const { articles, clock, publicUrl, maxArticleBytes } = deps;
  const body = (html: string, canonicalUrl: string | null | undefined) =>
    sanitizeBody(html, canonicalUrl, publicUrl, maxArticleBytes);

  async function publish(input: ArticleInput) {
    const result = await articles.publish({
      ...input,
      language: input.language ?? null,
      bodyHtml: body(input.bodyHtml, input.canonicalUrl),
      publishedAt: input.publishedAt ?? clock.now(),
    });
    if (result.ok && result.value.created) deps.onPublished?.(result.value.article.id);
    return result;
  }

  function update(id: string, patch: ArticlePatch) {
    return articles.update(id, {
      ...patch,
      bodyHtml: patch.bodyHtml === undefined ? undefined : body(patch.bodyHtml, patch.canonicalUrl),
    });
  }

  function pushUpdate(liveUpdates: LiveUpdateService, articleId: string, input: LiveUpdateInput) {
    const { live, ...draft } = input;
    return liveUpdates.push(
      articleId,
      {
        ...draft,
        bodyHtml: body(input.bodyHtml, null),
        publishedAt: input.publishedAt ?? clock.now(),
      },
      { live },
    );
  }

  return { publish, update, pushUpdate, body };
}

export type ArticleCommands = ReturnType<typeof articleCommands>;

/**
 * Relative links in the body resolve against the publisher's page, else our own origin. The
 * sanitised body must fit the article size limit: a feed renders up to FEED_ITEM_LIMIT of them.
 */
function sanitizeBody(
  bodyHtml: string,
  canonicalUrl: string | null | undefined,
  publicUrl: string,
  maxBytes: number,
): string {
  const sanitized = sanitizeArticleHtml(bodyHtml, canonicalUrl ?? `${publicUrl}/`);
  const bytes = new TextEncoder().encode(sanitized).byteLength;
  if (bytes > maxBytes) {
    throw new ProblemError(
      validationProblem([
        {
          pointer: "/bodyHtml",
          detail: `is ${bytes} bytes of HTML after sanitising; an article may have at most ${maxBytes}`,
        },
      ]),
    );
  }
  return sanitized;
}
