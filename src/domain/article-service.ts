import {
  type Article,
  type ArticleChanges,
  type ArticleDraft,
  type Correction,
  withLive,
} from "./article.ts";
import type { Feed } from "./feed.ts";
import type {
  ArticleListQuery,
  Clock,
  FeedsChangedListener,
  OutboxEntry,
  Page,
  Repositories,
  TransactionRunner,
} from "./ports.ts";
import { err, ok, type Result } from "./result.ts";
import {
  correctionAnnouncements,
  correctionInThread,
  threadFollowUps,
} from "./thread-announcements.ts";

export type ArticleError =
  | { readonly type: "article-not-found"; readonly id: string }
  | { readonly type: "article-deleted"; readonly id: string }
  | { readonly type: "feeds-not-found"; readonly slugs: readonly string[] };

export interface PublishOutcome {
  readonly article: Article;
  /** False when an article with the same `externalId` already existed and was returned as is. */
  readonly created: boolean;
}

export interface ArticleServiceDeps {
  readonly db: TransactionRunner;
  readonly clock: Clock;
  readonly newId: (now: Date) => string;
  readonly onFeedsChanged: FeedsChangedListener;
}

/** The editors' use cases for articles: publish, revise, delete, read. */
export function createArticleService(deps: ArticleServiceDeps) {
  const { db, clock, newId, onFeedsChanged } = deps;

  async function publish(draft: ArticleDraft): Promise<Result<PublishOutcome, ArticleError>> {
    if (draft.externalId !== null) {
      const existing = await db.repos.articles.findByExternalId(draft.externalId);
      if (existing) return ok({ article: existing, created: false });
    }
    const outcome = await db.transaction(async (repos) => {
      const feedCheck = await checkFeeds(repos, draft.feeds);
      if (!feedCheck.ok) return feedCheck;
      const now = clock.now();
      const homeFeed = feedCheck.value.find((feed) => feed.slug === draft.feeds[0]);
      const article: Article = {
        ...draft,
        language: draft.language ?? homeFeed?.language ?? "en",
        id: newId(now),
        updatedAt: draft.publishedAt,
        createdAt: now,
        revision: 1,
        live: false,
        deletedAt: null,
      };
      if (!(await repos.articles.insert(article))) {
        // A concurrent push with the same externalId won the race: answer with its article.
        const winner = await repos.articles.findByExternalId(draft.externalId ?? "");
        if (!winner) throw new Error("externalId conflict without a stored article");
        return ok({ article: winner, created: false });
      }
      await repos.articles.recordRevision(article, now);
      await repos.feedChanges.announce(article.feeds);
      await repos.outbox.enqueue(
        outboxEntries(article, article.feeds, "create", laterOf(now, article.publishedAt)),
      );
      return ok({ article, created: true });
    });
    if (outcome.ok && outcome.value.created) onFeedsChanged(outcome.value.article.feeds);
    return outcome;
  }

  async function update(
    id: string,
    changes: ArticleChanges,
  ): Promise<Result<Article, ArticleError>> {
    const outcome = await db.transaction(async (repos) => {
      const current = await repos.articles.findById(id, { forUpdate: true });
      if (!current) return err({ type: "article-not-found", id } as const);
      if (current.deletedAt) return err({ type: "article-deleted", id } as const);
      if (changes.feeds) {
        const feedCheck = await checkFeeds(repos, changes.feeds);
        if (!feedCheck.ok) return feedCheck;
      }
      const now = clock.now();
      const { correction: note, live, ...fields } = definedOnly(changes);
      const revision = current.revision + 1;
      const correction: Correction | undefined =
        note === undefined ? undefined : { id: newId(now), revision, note, correctedAt: now };
      const revised: Article = withLive(
        {
          ...current,
          ...fields,
          updatedAt: laterOf(now, changes.publishedAt ?? current.publishedAt),
          revision,
          corrections: [...(current.corrections ?? []), ...(correction ? [correction] : [])],
        },
        live ?? current.live,
        now,
      );
      await repos.articles.update(revised);
      await repos.articles.recordRevision(revised, now);
      if (correction) await repos.articles.recordCorrection(revised.id, correction);
      await repos.feedChanges.announce(union(current.feeds, revised.feeds));
      if (isEmbargoed(current, now)) {
        // Followers were never told of it: its one Create moves to the (new) time, as revised.
        await repos.outbox.withdrawPending(current.id, now);
        await repos.outbox.enqueue(
          outboxEntries(revised, revised.feeds, "create", laterOf(now, revised.publishedAt)),
        );
      } else {
        await repos.outbox.enqueue(revisionEntries(current, revised, now));
        if (correction && correctionInThread(revised, correction)) {
          // Its reply in the thread, in the feeds that got the Update (those the article
          // joined get it with the thread, below).
          const kept = revised.feeds.filter((slug) => current.feeds.includes(slug));
          const reply = correctionAnnouncements(
            { ...revised, feeds: kept },
            correction,
            "create",
            now,
          );
          await repos.outbox.enqueue(reply);
        }
      }
      await repos.outbox.enqueue(await threadFollowUps(repos, current, revised, now));
      return ok({ before: current, after: revised });
    });
    if (!outcome.ok) return outcome;
    onFeedsChanged(union(outcome.value.before.feeds, outcome.value.after.feeds));
    return ok(outcome.value.after);
  }

  /** Leaves a tombstone: the article disappears from every feed and its URL answers 410. */
  async function remove(id: string): Promise<Result<Article, ArticleError>> {
    const outcome = await db.transaction(async (repos) => {
      const current = await repos.articles.findById(id, { forUpdate: true });
      if (!current) return err({ type: "article-not-found", id } as const);
      if (current.deletedAt) return ok({ article: current, changed: false });
      const now = clock.now();
      const tombstone: Article = {
        ...current,
        deletedAt: now,
        updatedAt: now,
        revision: current.revision + 1,
      };
      await repos.articles.update(tombstone);
      await repos.articles.recordRevision(tombstone, now);
      await repos.feedChanges.announce(tombstone.feeds);
      if (isEmbargoed(current, now)) {
        // Never announced: withdraw its Create, and send no Delete of what nobody saw.
        await repos.outbox.withdrawPending(current.id, now);
      } else {
        await repos.outbox.enqueue(outboxEntries(tombstone, tombstone.feeds, "delete", now));
      }
      await repos.outbox.enqueue(await threadFollowUps(repos, current, tombstone, now));
      return ok({ article: tombstone, changed: true });
    });
    if (!outcome.ok) return outcome;
    if (outcome.value.changed) onFeedsChanged(outcome.value.article.feeds);
    return ok(outcome.value.article);
  }

  async function get(id: string): Promise<Result<Article, ArticleError>> {
    const article = await db.repos.articles.findById(id);
    return article ? ok(article) : err({ type: "article-not-found", id });
  }

  async function list(query: ArticleListQuery): Promise<Result<Page<Article>, ArticleError>> {
    if (query.feed !== undefined && !(await db.repos.feeds.find(query.feed))) {
      return err({ type: "feeds-not-found", slugs: [query.feed] });
    }
    return ok(await db.repos.articles.list(query));
  }

  /** What readers see of a feed: its newest public articles. */
  function latestPublic(feedSlug: string, limit: number): Promise<Article[]> {
    return db.repos.articles.listPublicInFeed(feedSlug, limit, clock.now());
  }

  return { publish, update, remove, get, list, latestPublic };
}

export type ArticleService = ReturnType<typeof createArticleService>;

/**
 * Every named feed must exist. A closed story still takes articles (a late correction, a
 * follow-up): they are published as usual and the feed stays closed; see the README.
 */
async function checkFeeds(
  repos: Repositories,
  wanted: readonly string[],
): Promise<Result<Feed[], ArticleError>> {
  const found = await repos.feeds.findMany(wanted);
  const missing = wanted.filter((slug) => !found.some((feed) => feed.slug === slug));
  if (missing.length > 0) return err({ type: "feeds-not-found", slugs: missing });
  return ok(found);
}

/** Still before its time: nothing of it has been shown or sent. */
function isEmbargoed(article: Article, now: Date): boolean {
  return article.publishedAt.getTime() > now.getTime();
}

/**
 * What a revision means for each feed's followers: feeds it stays in get an Update, feeds it
 * left get a Delete, feeds it joined get a Create.
 */
function revisionEntries(before: Article, after: Article, now: Date): OutboxEntry[] {
  const availableAt = laterOf(now, after.publishedAt);
  const kept = after.feeds.filter((slug) => before.feeds.includes(slug));
  const joined = after.feeds.filter((slug) => !before.feeds.includes(slug));
  const left = before.feeds.filter((slug) => !after.feeds.includes(slug));
  return [
    ...outboxEntries(after, kept, "update", availableAt),
    ...outboxEntries(after, joined, "create", availableAt),
    ...outboxEntries(after, left, "delete", now),
  ];
}

/** One outbox entry per feed for this revision of the article. */
function outboxEntries(
  article: Article,
  feeds: readonly string[],
  kind: OutboxEntry["kind"],
  availableAt: Date,
): OutboxEntry[] {
  return feeds.map((feedSlug) => ({
    kind,
    feedSlug,
    articleId: article.id,
    revision: article.revision,
    availableAt,
  }));
}

/** The fields a PATCH names; absent (undefined) ones stay as stored. */
export function definedOnly<T extends object>(changes: T): Partial<T> {
  return Object.fromEntries(
    Object.entries(changes).filter(([, value]) => value !== undefined),
  ) as Partial<T>;
}

export function laterOf(a: Date, b: Date): Date {
  return a.getTime() >= b.getTime() ? a : b;
}

function union(a: readonly string[], b: readonly string[]): string[] {
  return [...new Set([...a, ...b])];
}
