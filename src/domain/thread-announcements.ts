import { type Article, type Correction, isPublic, type LiveUpdate } from "./article.ts";
import type { OutboxEntry, Repositories } from "./ports.ts";

/**
 * What a story's thread on the fediverse needs told, as outbox entries committed with the
 * change: each live update is a post of its own in every feed of its article (a reply to the
 * article's post), announced once public, revised and deleted like the article; each correction
 * made once the article was public is a short reply too (`Correction: …`), since Mastodon tells
 * only those who boosted a post about its edits.
 */

/** Most updates of one article whose posts follow the article into or out of a feed. */
const THREAD_FOLLOW_UP_LIMIT = 5_000;

/**
 * What a change to an update means for the followers of each of the article's feeds. Nothing
 * has been sent about an update before it was public (or while its article was not): a
 * revision then is still its Create (at its possibly new time), and a deletion sends nothing.
 */
export function changeAnnouncements(
  article: Article,
  before: LiveUpdate,
  after: LiveUpdate,
  now: Date,
): OutboxEntry[] {
  const announced = visibleAt(article, before, now);
  if (after.deletedAt) return announced ? updateAnnouncements(article, after, "delete", now) : [];
  return updateAnnouncements(article, after, announced ? "update" : "create", now);
}

/**
 * One outbox entry per feed of the article, committed with the update. Not before the update
 * is public, nor before its article is (embargo): the relay sends it then, like a scheduled
 * article.
 */
export function updateAnnouncements(
  article: Article,
  update: LiveUpdate,
  kind: OutboxEntry["kind"],
  now: Date,
): OutboxEntry[] {
  const availableAt =
    kind === "delete" ? now : latest(now, update.publishedAt, article.publishedAt);
  return article.feeds.map((feedSlug) => ({
    kind,
    feedSlug,
    articleId: article.id,
    liveUpdateId: update.id,
    revision: update.revision,
    availableAt,
  }));
}

/**
 * Whether a correction has a reply in the article's thread: made once the article was public.
 * A correction made under embargo has none; its note opens the Create followers get at release.
 */
export function correctionInThread(
  article: Pick<Article, "publishedAt">,
  correction: Pick<Correction, "correctedAt">,
): boolean {
  return correction.correctedAt.getTime() >= article.publishedAt.getTime();
}

/** The article's corrections that have a reply in its thread, oldest first. */
export function threadedCorrections(article: Article): Correction[] {
  return [...(article.corrections ?? [])]
    .filter((correction) => correctionInThread(article, correction))
    .sort((a, b) => a.revision - b.revision);
}

/**
 * One outbox entry per feed of the article for a correction's reply, committed with the
 * correction (after the corrected revision's Update, so followers get the edit first).
 */
export function correctionAnnouncements(
  article: Article,
  correction: Correction,
  kind: "create" | "delete",
  now: Date,
): OutboxEntry[] {
  return article.feeds.map((feedSlug) => ({
    kind,
    feedSlug,
    articleId: article.id,
    correctionId: correction.id,
    revision: correction.revision,
    availableAt: kind === "delete" ? now : latest(now, article.publishedAt),
  }));
}

/** Whether the update and its article were both published by `at` (deleted or not). */
export function publishedBy(
  article: Pick<Article, "publishedAt">,
  update: Pick<LiveUpdate, "publishedAt">,
  at: Date,
): boolean {
  return Math.max(article.publishedAt.getTime(), update.publishedAt.getTime()) <= at.getTime();
}

/** Whether readers (and so followers) could see the update at `now`. */
export function visibleAt(
  article: Pick<Article, "publishedAt" | "deletedAt">,
  update: Pick<LiveUpdate, "publishedAt" | "deletedAt">,
  now: Date,
): boolean {
  return isPublic(article, now) && isPublic(update, now);
}

/**
 * What a change to the article means for its updates' posts: in a feed it left, or when it is
 * deleted, each announced update is deleted there too (Mastodon keeps replies to a deleted
 * post); a feed it joined gets them after the article's own Create. An article still embargoed
 * whose time moves takes its updates' Creates along (those queued for the old time find it
 * not yet public and are dropped, or repeat the same activity id).
 */
export async function threadFollowUps(
  repos: Repositories,
  before: Article,
  after: Article,
  now: Date,
): Promise<OutboxEntry[]> {
  const kept = after.feeds.filter((slug) => before.feeds.includes(slug));
  const rescheduled =
    !isPublic(before, now) && before.publishedAt.getTime() !== after.publishedAt.getTime();
  const left = after.deletedAt ? before.feeds : before.feeds.filter((s) => !kept.includes(s));
  const announceIn = after.deletedAt
    ? []
    : [...after.feeds.filter((s) => !kept.includes(s)), ...(rescheduled ? kept : [])];
  if (left.length === 0 && announceIn.length === 0) return [];
  const updates = await repos.liveUpdates.listForArticle(before.id, {
    limit: THREAD_FOLLOW_UP_LIMIT,
  });
  const oldestFirst = [...updates].reverse();
  const leaving = { ...before, feeds: left };
  const arriving = { ...after, feeds: announceIn };
  return [
    ...oldestFirst
      .filter((update) => visibleAt(before, update, now))
      .flatMap((update) => updateAnnouncements(leaving, update, "delete", now)),
    ...(isPublic(before, now) ? threadedCorrections(before) : []).flatMap((correction) =>
      correctionAnnouncements(leaving, correction, "delete", now),
    ),
    ...oldestFirst.flatMap((update) => updateAnnouncements(arriving, update, "create", now)),
    ...threadedCorrections(after).flatMap((correction) =>
      correctionAnnouncements(arriving, correction, "create", now),
    ),
  ];
}

function latest(...dates: readonly Date[]): Date {
  return new Date(Math.max(...dates.map((date) => date.getTime())));
}
