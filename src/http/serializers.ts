import type { Article, LiveUpdate } from "../domain/article.ts";
import type { Feed } from "../domain/feed.ts";
import {
  articleUrl,
  fediverseHandle,
  feedDocumentUrl,
  feedPageUrl,
  liveUpdateUrl,
} from "../domain/urls.ts";
import type { ArticleOutput, LiveUpdateOutput } from "../schemas/article.schema.ts";

/** database -> admin API JSON */
export function serializeArticle(article: Article, publicUrl: string, now: Date): ArticleOutput {
  return {
    id: article.id,
    url: articleUrl(publicUrl, article.id),
    status: article.deletedAt
      ? "deleted"
      : article.publishedAt.getTime() > now.getTime()
        ? "scheduled"
        : "published",
    externalId: article.externalId,
    headline: article.headline,
    standfirst: article.standfirst,
    contentWarning: article.contentWarning ?? null,
    bodyHtml: article.bodyHtml,
    authors: article.authors.map((a) => ({ ...a })),
    image: article.image ? { ...article.image } : null,
    tags: [...article.tags],
    feeds: [...article.feeds],
    language: article.language,
    canonicalUrl: article.canonicalUrl,
    pinned: article.pinned,
    live: article.live,
    liveEndedAt: article.liveEndedAt?.toISOString() ?? null,
    publishedAt: article.publishedAt.toISOString(),
    updatedAt: article.updatedAt.toISOString(),
    createdAt: article.createdAt.toISOString(),
    revision: article.revision,
    deletedAt: article.deletedAt?.toISOString() ?? null,
    corrections: (article.corrections ?? []).map((correction) => ({
      id: correction.id,
      revision: correction.revision,
      note: correction.note,
      correctedAt: correction.correctedAt.toISOString(),
    })),
  };
}

/** A live update as the admin API answers it. */
export function serializeLiveUpdate(
  update: LiveUpdate,
  publicUrl: string,
  now: Date,
): LiveUpdateOutput {
  return {
    id: update.id,
    articleId: update.articleId,
    url: liveUpdateUrl(publicUrl, update.articleId, update.id),
    status: update.deletedAt
      ? "deleted"
      : update.publishedAt.getTime() > now.getTime()
        ? "scheduled"
        : "published",
    externalId: update.externalId,
    headline: update.headline,
    bodyHtml: update.bodyHtml,
    authors: update.authors.map((a) => ({ ...a })),
    image: update.image ? { ...update.image } : null,
    publishedAt: update.publishedAt.toISOString(),
    updatedAt: update.updatedAt.toISOString(),
    createdAt: update.createdAt.toISOString(),
    revision: update.revision,
    deletedAt: update.deletedAt?.toISOString() ?? null,
  };
}

/** database -> admin API JSON, with every address the feed is reachable at. */
export function serializeFeed(feed: Feed, publicUrl: string) {
  return {
    slug: feed.slug,
    kind: feed.kind,
    title: feed.title,
    description: feed.description,
    language: feed.language,
    status: feed.status,
    iconUrl: feed.iconUrl,
    imageUrl: feed.imageUrl,
    actorType: feed.actorType,
    objectType: feed.objectType,
    quotePolicy: feed.quotePolicy,
    closedAt: feed.closedAt?.toISOString() ?? null,
    createdAt: feed.createdAt.toISOString(),
    updatedAt: feed.updatedAt.toISOString(),
    handle: fediverseHandle(publicUrl, feed.slug),
    urls: {
      page: feedPageUrl(publicUrl, feed.slug),
      rss: feedDocumentUrl(publicUrl, feed.slug, "rss"),
      atom: feedDocumentUrl(publicUrl, feed.slug, "atom"),
      json: feedDocumentUrl(publicUrl, feed.slug, "json"),
    },
  };
}
