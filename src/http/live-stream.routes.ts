import { Hono } from "hono";
import type { Article, LeadImage, LiveUpdate } from "../domain/article.ts";
import { isPublic } from "../domain/article.ts";
import type { ArticleService } from "../domain/article-service.ts";
import type { Clock } from "../domain/ports.ts";
import { articleUrl, liveUpdateAnchor, liveUpdateUrl } from "../domain/urls.ts";
import type { LiveStreamView } from "../storage/views/live-stream.view.ts";
import { isNotModified } from "../syndication/document-answer.ts";
import { base64Url } from "../syndication/encoded-document.ts";
import { LiveUpdateItem } from "../web/live-updates.tsx";
import { problem, problemResponse } from "./problem.ts";

/** `GET /articles/ID/updates.json`: what an open live page polls. */
export interface LiveStreamOutput {
  readonly articleId: string;
  readonly url: string;
  /** False once the story is closed: the page stops polling. */
  readonly live: boolean;
  /** Newest first: published, not deleted. */
  readonly updates: readonly LiveStreamUpdateOutput[];
}

export interface LiveStreamUpdateOutput {
  readonly id: string;
  /** The element's id on the page: `update-ID`. */
  readonly anchor: string;
  /** `ARTICLE_URL#update-ID`, the link and guid the feeds give the update. */
  readonly url: string;
  readonly headline: string | null;
  /** Sanitised when stored. */
  readonly bodyHtml: string;
  readonly authors: readonly { readonly name: string; readonly url?: string | undefined }[];
  readonly image: LeadImage | null;
  readonly publishedAt: string;
  readonly updatedAt: string;
  readonly revision: number;
  /** The update's `<li>` as the page renders it, for the script to insert as is. */
  readonly html: string;
}

/** Bump when the markup of an update changes, so open pages do not keep the old one. */
const STREAM_MARKUP_VERSION = 1;

/**
 * A strong validator of the stream: the update ids and revisions readers see, and `live`. Every
 * edit of an update bumps its revision and a scheduled one joins the list when its time comes,
 * so this changes exactly when the JSON does, without rendering it.
 */
export async function liveStreamEtag(
  article: Pick<Article, "id" | "live">,
  updates: readonly Pick<LiveUpdate, "id" | "revision">[],
): Promise<string> {
  const fingerprint = [
    `v${STREAM_MARKUP_VERSION}`,
    article.id,
    article.live ? "live" : "ended",
    ...updates.map((update) => `${update.id}:${update.revision}`),
  ].join("\n");
  const hash = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(fingerprint));
  const bytes = new Uint8Array(hash).subarray(0, 18);
  return `"${base64Url(bytes)}"`;
}

export async function serializeLiveStream(
  article: Pick<Article, "id" | "live">,
  updates: readonly LiveUpdate[],
  publicUrl: string,
): Promise<LiveStreamOutput> {
  return {
    articleId: article.id,
    url: articleUrl(publicUrl, article.id),
    live: article.live,
    updates: await Promise.all(
      updates.map(async (update) => ({
        id: update.id,
        anchor: liveUpdateAnchor(update.id),
        url: liveUpdateUrl(publicUrl, article.id, update.id),
        headline: update.headline,
        bodyHtml: update.bodyHtml,
        authors: update.authors.map((author) => ({ name: author.name, url: author.url })),
        image: update.image,
        publishedAt: update.publishedAt.toISOString(),
        updatedAt: update.updatedAt.toISOString(),
        revision: update.revision,
        html: await LiveUpdateItem({ update }).toString(),
      })),
    ),
  };
}

/** When the stream last changed: its article, or the newest change among its updates. */
function lastModified(article: Article, updates: readonly LiveUpdate[]): number {
  const times = updates.flatMap((u) => [u.publishedAt.getTime(), u.updatedAt.getTime()]);
  return Math.floor(Math.max(article.updatedAt.getTime(), ...times) / 1000) * 1000;
}

export interface LiveStreamDeps {
  readonly articles: ArticleService;
  readonly stream: LiveStreamView;
  readonly clock: Clock;
  readonly publicUrl: string;
}

/**
 * The live stream as JSON, for the page's script: `no-cache` with an ETag, so every poll is a
 * conditional request and an unchanged stream costs a 304 with no body.
 */
export function liveStreamRoutes(deps: LiveStreamDeps): Hono {
  const routes = new Hono();
  routes.get("/articles/:id/updates.json", async (c) => {
    const now = deps.clock.now();
    const found = await deps.articles.get(c.req.param("id"));
    const article = found.ok ? found.value : undefined;
    // A scheduled article is as unknown here as on its page: nothing of it before its time.
    if (!article || (!article.deletedAt && !isPublic(article, now))) {
      return problemResponse(problem("notFound", "No such article"));
    }
    if (article.deletedAt) return problemResponse(problem("gone", "This article was deleted"));
    const updates = await deps.stream.published(article.id, now);
    const etag = await liveStreamEtag(article, updates);
    const lastModifiedMs = lastModified(article, updates);
    const headers = {
      etag,
      "last-modified": new Date(lastModifiedMs).toUTCString(),
      "cache-control": "no-cache",
      "x-content-type-options": "nosniff",
    };
    if (isNotModified((name) => c.req.header(name) ?? null, { etag, lastModifiedMs })) {
      return c.body(null, 304, headers);
    }
    return c.json(await serializeLiveStream(article, updates, deps.publicUrl), 200, headers);
  });
  return routes;
}
