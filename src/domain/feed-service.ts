import type { Feed, FeedChanges, FeedDraft } from "./feed.ts";
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

  async function update(slug: string, changes: FeedChanges): Promise<Result<Feed, FeedError>> {
    const updated = await db.transaction(async (repos) => {
      const now = clock.now();
      const feed = await repos.feeds.update(slug, changes, now);
      if (!feed) return undefined;
      await repos.feedChanges.announce([slug]);
      // Followers' servers cache the profile: tell them it changed.
      await repos.outbox.enqueue([{ kind: "update-actor", feedSlug: slug, availableAt: now }]);
      return feed;
    });
    if (!updated) return err({ type: "feed-not-found", slug });
    onFeedsChanged([slug]);
    return ok(updated);
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
