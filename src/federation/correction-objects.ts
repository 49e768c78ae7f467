import { Create, Delete, Note, Tombstone } from "@fedify/vocab";
import type { Article, Correction } from "../domain/article.ts";
import type { Feed } from "../domain/feed.ts";
import { correctionUrl } from "../domain/urls.ts";
import { escapeHtml } from "../syndication/html.ts";
import { envelope, instant, inThread, type ObjectContext, selfReply } from "./objects.ts";
import { correctionActivityUri, correctionObjectUri } from "./paths.ts";

/**
 * database -> fediverse: a correction as a short public self-reply in the article's thread.
 * The corrected revision already goes out as an `Update`, but Mastodon tells only those who
 * boosted a post about its edits; a reply from the same actor lands in every follower's home
 * timeline, under the story it corrects.
 */
export function toCorrectionNote(
  correction: Correction,
  article: Article,
  feed: Feed,
  ctx: ObjectContext,
): Note {
  // The note is plain text: escaped (and stripped of control characters) here, never trusted.
  const content = `<p>Correction: ${escapeHtml(correction.note)}</p>`;
  return new Note(
    selfReply(article, feed, ctx, {
      id: correctionObjectUri(ctx.publicUrl, feed.slug, article.id, correction.id),
      url: correctionUrl(ctx.publicUrl, article.id, correction.id),
      published: correction.correctedAt,
      content,
    }),
  );
}

export function toCorrectionTombstone(
  correction: Correction,
  article: Article,
  feed: Feed,
  ctx: ObjectContext,
): Tombstone {
  return new Tombstone({
    id: correctionObjectUri(ctx.publicUrl, feed.slug, article.id, correction.id),
    deleted: instant(article.deletedAt ?? article.updatedAt),
  });
}

/**
 * The reply's Create, or its Delete once the article is deleted (or leaves the feed); ids from
 * the correction's id, which never changes, so a re-send is the same activity.
 */
export function toCorrectionActivity(
  kind: "create" | "delete",
  correction: Correction,
  article: Article,
  feed: Feed,
  ctx: ObjectContext,
): Create | Delete {
  const id = correctionActivityUri(ctx.publicUrl, feed.slug, article.id, correction.id, kind);
  if (kind === "delete") {
    return new Delete({
      ...envelope(id, article.deletedAt ?? article.updatedAt, ctx),
      object: toCorrectionTombstone(correction, article, feed, ctx),
    });
  }
  return new Create({
    ...envelope(id, correction.correctedAt, ctx),
    ...inThread(article, feed, ctx),
    object: toCorrectionNote(correction, article, feed, ctx),
  });
}
