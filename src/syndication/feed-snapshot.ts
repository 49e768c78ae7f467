import type { Clock, Repositories } from "../domain/ports.ts";
import type { FeedSnapshot } from "./feed-document-cache.ts";

/** Reads what a feed's documents are rendered from: the feed and its newest public articles. */
export async function loadFeedSnapshot(
  repos: Repositories,
  slug: string,
  itemLimit: number,
  clock: Clock,
): Promise<FeedSnapshot | undefined> {
  const feed = await repos.feeds.find(slug);
  if (!feed) return undefined;
  const now = clock.now();
  const articles = await repos.articles.listPublicInFeed(slug, itemLimit, now);
  const validUntil = await repos.articles.nextScheduledInFeed(slug, now);
  return { feed, articles, validUntil };
}
