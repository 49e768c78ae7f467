import type { Article, Correction, LiveUpdate } from "./article.ts";
import type { ArticleCursor } from "./cursor.ts";
import type { Feed, FeedAlias, FeedChanges, FeedDraft } from "./feed.ts";

/** A page of results plus the opaque cursor of the next page (null on the last page). */
export interface Page<T> {
  readonly items: readonly T[];
  readonly nextCursor: string | null;
}

export interface ArticleListQuery {
  readonly feed?: string | undefined;
  readonly limit: number;
  readonly cursor?: string | undefined;
  readonly includeDeleted?: boolean | undefined;
}

/** Storage of articles. Methods run inside whatever transaction the repository was made for. */
export interface ArticleRepository {
  findById(id: string, options?: { forUpdate?: boolean }): Promise<Article | undefined>;
  findByExternalId(externalId: string): Promise<Article | undefined>;
  /** Inserts unless `externalId` is taken; returns false when it was (nothing written). */
  insert(article: Article): Promise<boolean>;
  /** Replaces the stored article (same id) and its feed links. */
  update(article: Article): Promise<void>;
  /** Keeps the article as it stood at its current revision. */
  recordRevision(article: Article, at: Date): Promise<void>;
  /** Stores the public note of a revision already recorded (`recordRevision` first). */
  recordCorrection(articleId: string, correction: Correction): Promise<void>;
  list(query: ArticleListQuery): Promise<Page<Article>>;
  /** The newest public articles of a feed, newest first; `after` continues a previous page. */
  listPublicInFeed(
    slug: string,
    limit: number,
    now: Date,
    after?: ArticleCursor,
  ): Promise<Article[]>;
  /** The newest public articles with a tag (compared as `tagSlug` spells it), newest first. */
  listPublicWithTag(tagSlug: string, limit: number, now: Date): Promise<Article[]>;
  /**
   * Places in a feed's archive (src/domain/archive.ts): its articles published by `now`,
   * deleted ones included (a deleted article keeps its place, empty).
   */
  countArchivePlaces(slug: string, now: Date): Promise<number>;
  /**
   * The public articles in `limit` archive places from `offset` on (places counted oldest
   * first, by publication time then id), newest first; deleted ones leave their place empty.
   */
  listArchivePage(slug: string, now: Date, offset: number, limit: number): Promise<Article[]>;
  /** How many public articles a feed has (or all feeds together, without a slug). */
  countPublic(now: Date, slug?: string): Promise<number>;
  /** The newest pinned public articles of a feed. */
  listPinnedInFeed(slug: string, limit: number, now: Date): Promise<Article[]>;
  /** The article as it stood at a revision (for delivering exactly that revision). */
  findRevision(id: string, revision: number): Promise<Article | undefined>;
  /** The earliest scheduled (future) publication time in a feed, to know when it next changes. */
  nextScheduledInFeed(slug: string, now: Date): Promise<Date | null>;
  /** The earliest scheduled publication time of an article with this tag (as `tagSlug` spells it). */
  nextScheduledWithTag(tagSlug: string, now: Date): Promise<Date | null>;
  /**
   * Ends the live coverage of a feed's live articles (`live` false, `liveEndedAt` = `at`);
   * returns every feed those articles are in, whose documents and pages change.
   */
  endLiveCoverage(slug: string, at: Date): Promise<string[]>;
}

/** Storage of live updates, always scoped to their article. */
export interface LiveUpdateRepository {
  findById(
    articleId: string,
    id: string,
    options?: { forUpdate?: boolean },
  ): Promise<LiveUpdate | undefined>;
  findByExternalId(articleId: string, externalId: string): Promise<LiveUpdate | undefined>;
  /** Inserts unless the article already has an update with this `externalId` (returns false). */
  insert(update: LiveUpdate): Promise<boolean>;
  update(update: LiveUpdate): Promise<void>;
  /** Newest first; `publicAt` keeps only updates published by then. */
  listForArticle(
    articleId: string,
    options: { limit: number; includeDeleted?: boolean; publicAt?: Date },
  ): Promise<LiveUpdate[]>;
  /** The newest public updates (of public articles) in a feed, newest first, after `after`. */
  listPublicInFeed(
    slug: string,
    limit: number,
    now: Date,
    after?: ArticleCursor,
  ): Promise<LiveUpdate[]>;
  /** How many public updates (of public articles) a feed has. */
  countPublicInFeed(slug: string, now: Date): Promise<number>;
  /** The newest public updates of these articles, newest first. */
  listPublicForArticles(
    articleIds: readonly string[],
    limit: number,
    now: Date,
  ): Promise<LiveUpdate[]>;
  /** The earliest scheduled (future) update of a public article in a feed. */
  nextScheduledInFeed(slug: string, now: Date): Promise<Date | null>;
  /** The earliest scheduled (future) update of any of these articles. */
  nextScheduledForArticles(articleIds: readonly string[], now: Date): Promise<Date | null>;
}

export interface FeedRepository {
  find(slug: string, options?: { forUpdate?: boolean }): Promise<Feed | undefined>;
  findMany(slugs: readonly string[]): Promise<Feed[]>;
  list(): Promise<Feed[]>;
  /** Inserts unless the slug is taken; returns false when it was. */
  insert(feed: FeedDraft, at: Date): Promise<boolean>;
  update(
    slug: string,
    changes: FeedChanges & { readonly closedAt?: Date | null },
    at: Date,
  ): Promise<Feed | undefined>;
  /** The alias `slug` names, if it is a feed's old slug. */
  findAlias(slug: string): Promise<FeedAlias | undefined>;
  /** The old slugs of a feed, oldest rename first. */
  aliasesOf(feedSlug: string): Promise<string[]>;
  /**
   * Renames a feed (the caller checked that `to` is free or an alias of this very feed): the
   * feed and everything that belongs to it move to `to`, and `from` becomes an alias keeping the
   * old actor's keys. Returns the renamed feed.
   */
  rename(from: string, to: string, at: Date): Promise<Feed>;
}

/**
 * Announces, inside a transaction, that feeds changed. Delivered to every process sharing the
 * database only if the transaction commits, so their cached documents never miss a change.
 */
export interface FeedChangeAnnouncer {
  announce(slugs: readonly string[]): Promise<void>;
}

export type OutboxKind = "create" | "update" | "delete" | "update-actor" | "move";

/**
 * One piece of federation work: tell a feed's followers about an article revision, a live
 * update's revision (`liveUpdateId` set; `revision` is then the update's), a correction's
 * reply in the article's thread (`correctionId` set), the feed, or the feed's rename (`move`).
 */
export interface OutboxEntry {
  readonly kind: OutboxKind;
  readonly feedSlug: string;
  readonly articleId?: string | undefined;
  readonly liveUpdateId?: string | undefined;
  readonly correctionId?: string | undefined;
  readonly revision?: number | undefined;
  /** Kind `move`: the old slug whose actor tells its followers that it became `feedSlug`. */
  readonly movedFrom?: string | undefined;
  /** Not before this time (a scheduled article is announced when it goes public). */
  readonly availableAt: Date;
}

/** The transactional outbox: entries commit together with the change they announce. */
export interface FederationOutbox {
  enqueue(entries: readonly OutboxEntry[]): Promise<void>;
  /**
   * Withdraws an article's entries that are not yet due (an embargoed story moved or deleted):
   * what replaces them is enqueued in the same transaction, so nothing goes early or twice.
   */
  withdrawPending(articleId: string, now: Date): Promise<void>;
}

export interface Repositories {
  readonly articles: ArticleRepository;
  readonly liveUpdates: LiveUpdateRepository;
  readonly feeds: FeedRepository;
  readonly feedChanges: FeedChangeAnnouncer;
  readonly outbox: FederationOutbox;
}

/** Runs `work` in one database transaction: everything it writes commits together or not at all. */
export interface TransactionRunner {
  transaction<T>(work: (repos: Repositories) => Promise<T>): Promise<T>;
  /** Repositories outside any transaction, for reads. */
  readonly repos: Repositories;
}

/** Told after a commit which feeds' documents changed (cache invalidation, pings). */
export type FeedsChangedListener = (slugs: readonly string[]) => void;

export interface Clock {
  now(): Date;
}
