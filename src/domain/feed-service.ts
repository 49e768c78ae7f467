import { changesFeed, type Feed, type FeedChanges, type FeedDraft } from "./feed.ts";
import type { Clock, FeedsChangedListener, TransactionRunner } from "./ports.ts";
import { err, ok, type Result } from "./result.ts";

export type FeedError =
  | { readonly type: "feed-not-found"; readonly slug: string }
  | { readonly type: "feed-exists"; readonly slug: string };

export interface FeedServiceDeps {
  readonly db: TransactionRunner;
  readonly clock: Clock;
  readonly onFeedsChanged: FeedsChangedListener;
}

/** The editors' use cases for feeds: create a story feed, edit or close it, read. */
export function createFeedService({ db, clock, onFeedsChanged }: FeedServiceDeps) {
  async function create(draft: FeedDraft): Promise<Result<Feed, FeedError>> {
    const now = clock.now();
    const created = await db.transaction(async (repos) => {
      if (!(await repos.feeds.insert(draft, now))) return undefined;
      await repos.feedChanges.announce([draft.slug]);
      return repos.feeds.find(draft.slug);
    });
    if (!created) return err({ type: "feed-exists", slug: draft.slug });
    onFeedsChanged([created.slug]);
    return ok(created);
  }

  /**
   * Edits a feed. Closing a story (status `closed`) dates its end and ends its articles' live
   * coverage; reopening clears the date (coverage resumes with the next live update). A PATCH
   * that changes nothing (closing a closed feed) writes and sends nothing.
   */
  async function update(slug: string, changes: FeedChanges): Promise<Result<Feed, FeedError>> {
    const outcome = await db.transaction(async (repos) => {
      const current = await repos.feeds.find(slug, { forUpdate: true });
      if (!current) return undefined;
      if (!changesFeed(current, changes)) return { feed: current, changed: [] };
      const now = clock.now();
      const closing = changes.status === "closed" && current.status !== "closed";
      const reopening = changes.status === "open" && current.status === "closed";
      const closedAt = closing ? now : reopening ? null : current.closedAt;
      const feed = await repos.feeds.update(slug, { ...changes, closedAt }, now);
      if (!feed) throw new Error(`feed ${slug} vanished under its row lock`);
      const ended = closing ? await repos.articles.endLiveCoverage(slug, now) : [];
      const changed = [...new Set([slug, ...ended])];
      await repos.feedChanges.announce(changed);
      // Followers' servers cache the profile (its summary says when a story ended): tell them.
      await repos.outbox.enqueue([{ kind: "update-actor", feedSlug: slug, availableAt: now }]);
      return { feed, changed };
    });
    if (!outcome) return err({ type: "feed-not-found", slug });
    if (outcome.changed.length > 0) onFeedsChanged(outcome.changed);
    return ok(outcome.feed);
  }

  async function get(slug: string): Promise<Result<Feed, FeedError>> {
    const feed = await db.repos.feeds.find(slug);
    return feed ? ok(feed) : err({ type: "feed-not-found", slug });
  }

  function list(): Promise<Feed[]> {
    return db.repos.feeds.list();
  }

  return { create, update, get, list };
}

export type FeedService = ReturnType<typeof createFeedService>;
