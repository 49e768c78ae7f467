import { changesFeed, type Feed, type FeedDraft, type FeedEdit } from "./feed.ts";
import type { Clock, FeedsChangedListener, Repositories, TransactionRunner } from "./ports.ts";
import { err, ok, type Result } from "./result.ts";

export type FeedError =
  | { readonly type: "feed-not-found"; readonly slug: string }
  | { readonly type: "feed-exists"; readonly slug: string }
  /** A rename to another feed's old slug: it still answers for that feed (its alias). */
  | { readonly type: "slug-retired"; readonly slug: string; readonly feedSlug: string };

export interface FeedServiceDeps {
  readonly db: TransactionRunner;
  readonly clock: Clock;
  readonly onFeedsChanged: FeedsChangedListener;
}

/** The editors' use cases for feeds: create a story feed, edit or close it, read. */
export function createFeedService({ db, clock, onFeedsChanged }: FeedServiceDeps) {
  async function create(draft: FeedDraft): Promise<Result<Feed, FeedError>> {
    const now = clock.now();
    const created = await db.transaction(async (repos): Promise<Result<Feed, FeedError>> => {
      // A feed's old slug still answers for it: a new feed may not take it.
      const alias = await repos.feeds.findAlias(draft.slug);
      if (alias) return err({ type: "slug-retired", slug: draft.slug, feedSlug: alias.feedSlug });
      if (!(await repos.feeds.insert(draft, now)))
        return err({ type: "feed-exists", slug: draft.slug });
      await repos.feedChanges.announce([draft.slug]);
      const feed = await repos.feeds.find(draft.slug);
      if (!feed) throw new Error(`feed ${draft.slug} vanished in its own transaction`);
      return ok(feed);
    });
    if (created.ok) onFeedsChanged([created.value.slug]);
    return created;
  }

  /**
   * Edits a feed. Closing a story (status `closed`) dates its end and ends its articles' live
   * coverage; reopening clears the date (coverage resumes with the next live update). A PATCH
   * that changes nothing (closing a closed feed) writes and sends nothing.
   *
   * A new `slug` renames the feed first, in the same transaction: the feed and everything that
   * belongs to it move, the old slug stays as an alias of it, and the Move from the old actor
   * to its followers is committed with the change (docs/adr/0006-feed-renames.md).
   */
  async function update(slug: string, edit: FeedEdit): Promise<Result<Feed, FeedError>> {
    const { slug: newSlug, ...changes } = edit;
    const outcome = await db.transaction(async (repos): Promise<Result<Edited, FeedError>> => {
      let current = await repos.feeds.find(slug, { forUpdate: true });
      if (!current) return err({ type: "feed-not-found", slug });
      const now = clock.now();
      const changed: string[] = [];
      if (newSlug !== undefined && newSlug !== slug) {
        const taken = await slugTaken(repos, newSlug, slug);
        if (taken) return err(taken);
        current = await repos.feeds.rename(slug, newSlug, now);
        // The old slug's documents and pages go too: they redirect from now on.
        changed.push(slug, newSlug);
        await repos.outbox.enqueue([
          { kind: "move", feedSlug: newSlug, movedFrom: slug, availableAt: now },
        ]);
      }
      if (!changesFeed(current, changes)) {
        if (changed.length > 0) await repos.feedChanges.announce(changed);
        return ok({ feed: current, changed });
      }
      const closing = changes.status === "closed" && current.status !== "closed";
      const reopening = changes.status === "open" && current.status === "closed";
      const closedAt = closing ? now : reopening ? null : current.closedAt;
      const feed = await repos.feeds.update(current.slug, { ...changes, closedAt }, now);
      if (!feed) throw new Error(`feed ${current.slug} vanished under its row lock`);
      const ended = closing ? await repos.articles.endLiveCoverage(feed.slug, now) : [];
      const all = [...new Set([...changed, feed.slug, ...ended])];
      await repos.feedChanges.announce(all);
      // Followers' servers cache the profile (its summary says when a story ended): tell them.
      await repos.outbox.enqueue([{ kind: "update-actor", feedSlug: feed.slug, availableAt: now }]);
      return ok({ feed, changed: all });
    });
    if (!outcome.ok) return outcome;
    if (outcome.value.changed.length > 0) onFeedsChanged(outcome.value.changed);
    return ok(outcome.value.feed);
  }

  /** The feed's current slug when `slug` is an old slug of it (its URLs redirect there). */
  async function renamedTo(slug: string): Promise<string | undefined> {
    return (await db.repos.feeds.findAlias(slug))?.feedSlug;
  }

  async function get(slug: string): Promise<Result<Feed, FeedError>> {
    const feed = await db.repos.feeds.find(slug);
    return feed ? ok(feed) : err({ type: "feed-not-found", slug });
  }

  function list(): Promise<Feed[]> {
    return db.repos.feeds.list();
  }

  return { create, update, get, list, renamedTo };
}

interface Edited {
  readonly feed: Feed;
  readonly changed: readonly string[];
}

/** Why a feed may not be renamed to `slug` (another feed has it, now or as an old slug). */
async function slugTaken(
  repos: Repositories,
  slug: string,
  renaming: string,
): Promise<FeedError | undefined> {
  if (await repos.feeds.find(slug)) return { type: "feed-exists", slug };
  const alias = await repos.feeds.findAlias(slug);
  // Renaming back to one of its own old slugs (a -> b -> a) is allowed.
  if (alias && alias.feedSlug !== renaming) {
    return { type: "slug-retired", slug, feedSlug: alias.feedSlug };
  }
  return undefined;
}

export type FeedService = ReturnType<typeof createFeedService>;
