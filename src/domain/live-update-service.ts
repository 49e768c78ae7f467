import {
  type Article,
  type LiveUpdate,
  type LiveUpdateChanges,
  type LiveUpdateDraft,
  withLive,
} from "./article.ts";
import { type ArticleError, definedOnly, laterOf } from "./article-service.ts";
import type { Clock, FeedsChangedListener, Repositories, TransactionRunner } from "./ports.ts";
import { err, ok, type Result } from "./result.ts";
import { changeAnnouncements, updateAnnouncements } from "./thread-announcements.ts";

export type LiveUpdateError =
  | ArticleError
  | { readonly type: "update-not-found"; readonly articleId: string; readonly id: string }
  | { readonly type: "update-deleted"; readonly articleId: string; readonly id: string };

export interface PushUpdateOutcome {
  readonly update: LiveUpdate;
  /** False when the article already had an update with this `externalId` (returned as is). */
  readonly created: boolean;
}

export interface LiveUpdateServiceDeps {
  readonly db: TransactionRunner;
  readonly clock: Clock;
  readonly newId: (now: Date) => string;
  readonly onFeedsChanged: FeedsChangedListener;
}

/** Most updates a story lists at once (admin listing, page, feeds). */
export const LIVE_UPDATE_LIMIT = 500;

/** Developing stories: push, revise, delete and list an article's live updates. */
export function createLiveUpdateService(deps: LiveUpdateServiceDeps) {
  const { db, clock, newId, onFeedsChanged } = deps;

  /**
   * Pushes an update. The article becomes live unless `live` is false or it is in a closed story
   * (a late update does not reopen it); its `updatedAt` moves so feeds and caches see the change,
   * unless the update is scheduled. Same `externalId` again: the stored update, nothing written.
   */
  async function push(
    articleId: string,
    draft: LiveUpdateDraft,
    options: { live?: boolean | undefined } = {},
  ): Promise<Result<PushUpdateOutcome, LiveUpdateError>> {
    const outcome = await db.transaction(async (repos) => {
      const article = await repos.articles.findById(articleId, { forUpdate: true });
      if (!article) return err({ type: "article-not-found", id: articleId } as const);
      if (article.deletedAt) return err({ type: "article-deleted", id: articleId } as const);
      if (draft.externalId !== null) {
        const existing = await repos.liveUpdates.findByExternalId(articleId, draft.externalId);
        if (existing) return ok({ update: existing, created: false, article });
      }
      const now = clock.now();
      const update: LiveUpdate = {
        ...draft,
        id: newId(now),
        articleId,
        updatedAt: draft.publishedAt,
        createdAt: now,
        revision: 1,
        deletedAt: null,
      };
      if (!(await repos.liveUpdates.insert(update))) {
        throw new Error("live update externalId conflict under the article's row lock");
      }
      const live = options.live ?? !(await inClosedStory(repos, article));
      await touchArticle(repos, article, live, now, isPublicAt(update, now));
      await repos.outbox.enqueue(updateAnnouncements(article, update, "create", now));
      return ok({ update, created: true, article });
    });
    if (!outcome.ok) return outcome;
    if (outcome.value.created) onFeedsChanged(outcome.value.article.feeds);
    return ok({ update: outcome.value.update, created: outcome.value.created });
  }

  async function revise(
    articleId: string,
    id: string,
    changes: LiveUpdateChanges,
  ): Promise<Result<LiveUpdate, LiveUpdateError>> {
    return change(articleId, id, (current, now) => ({
      ...current,
      ...definedOnly(changes),
      updatedAt: laterOf(now, changes.publishedAt ?? current.publishedAt),
      revision: current.revision + 1,
    }));
  }

  /** Leaves a tombstone: the update disappears from the page and the feeds. */
  async function remove(
    articleId: string,
    id: string,
  ): Promise<Result<LiveUpdate, LiveUpdateError>> {
    return change(articleId, id, (current, now) =>
      current.deletedAt
        ? current
        : { ...current, deletedAt: now, updatedAt: now, revision: current.revision + 1 },
    );
  }

  async function change(
    articleId: string,
    id: string,
    apply: (current: LiveUpdate, now: Date) => LiveUpdate,
  ): Promise<Result<LiveUpdate, LiveUpdateError>> {
    const outcome = await db.transaction(async (repos) => {
      const article = await repos.articles.findById(articleId, { forUpdate: true });
      if (!article) return err({ type: "article-not-found", id: articleId } as const);
      if (article.deletedAt) return err({ type: "article-deleted", id: articleId } as const);
      const current = await repos.liveUpdates.findById(articleId, id, { forUpdate: true });
      if (!current) return err({ type: "update-not-found", articleId, id } as const);
      const wasDeleted = current.deletedAt !== null;
      const now = clock.now();
      const next = apply(current, now);
      if (next === current) return ok({ update: current, article, changed: false });
      if (wasDeleted) return err({ type: "update-deleted", articleId, id } as const);
      await repos.liveUpdates.update(next);
      const seen = isPublicAt(current, now) || isPublicAt(next, now);
      await touchArticle(repos, article, article.live, now, seen);
      await repos.outbox.enqueue(changeAnnouncements(article, current, next, now));
      return ok({ update: next, article, changed: true });
    });
    if (!outcome.ok) return outcome;
    if (outcome.value.changed) onFeedsChanged(outcome.value.article.feeds);
    return ok(outcome.value.update);
  }

  async function list(
    articleId: string,
    options: { includeDeleted?: boolean } = {},
  ): Promise<Result<LiveUpdate[], LiveUpdateError>> {
    const article = await db.repos.articles.findById(articleId);
    if (!article) return err({ type: "article-not-found", id: articleId });
    return ok(
      await db.repos.liveUpdates.listForArticle(articleId, {
        limit: LIVE_UPDATE_LIMIT,
        includeDeleted: options.includeDeleted ?? false,
      }),
    );
  }

  return { push, revise, remove, list };
}

export type LiveUpdateService = ReturnType<typeof createLiveUpdateService>;

/**
 * The article's entry in feeds carries the time of its latest visible change; `live` as asked.
 * A change readers cannot see yet (a scheduled update) leaves `updatedAt` alone: moving it
 * would change the feeds' `updated` and ETags before the embargo lifts. The update's own time
 * dates the entry once it is public (syndication/model.ts).
 */
async function touchArticle(
  repos: Repositories,
  article: Article,
  live: boolean,
  now: Date,
  visible: boolean,
): Promise<void> {
  const updatedAt = visible ? laterOf(now, article.updatedAt) : article.updatedAt;
  await repos.articles.update({ ...withLive(article, live, now), updatedAt });
  await repos.feedChanges.announce(article.feeds);
}

function isPublicAt(update: LiveUpdate, now: Date): boolean {
  return update.deletedAt === null && update.publishedAt.getTime() <= now.getTime();
}

async function inClosedStory(repos: Repositories, article: Article): Promise<boolean> {
  const feeds = await repos.feeds.findMany(article.feeds);
  return feeds.some((feed) => feed.status === "closed");
}
