import type { Clock, Repositories } from "../domain/ports.ts";
import { tagDocumentUrl, tagPageUrl, tagSlug } from "../domain/urls.ts";
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

/**
 * A tag's documents (`/tags/{tag}.rss` …): its newest public stories from every feed, as a feed
 * named after the hashtag. Undefined when no public story has the tag.
 */
export async function loadTagSnapshot(
  repos: Repositories,
  tag: string,
  itemLimit: number,
  clock: Clock,
  publicUrl: string,
): Promise<FeedSnapshot | undefined> {
  const slug = tagSlug(tag);
  if (slug === "" || slug !== tag) return undefined;
  const articles = await repos.articles.listPublicWithTag(slug, itemLimit, clock.now());
  const newest = articles[0];
  if (!newest) return undefined;
  const label = newest.tags.find((t) => tagSlug(t) === slug) ?? slug;
  const epoch = new Date(0);
  return {
    feed: {
      slug,
      kind: "section",
      title: `#${label.replace(/[^\p{L}\p{N}_]+/gu, "")}`,
      description: `Stories tagged ${label}`,
      language: newest.language,
      status: "open",
      iconUrl: null,
      imageUrl: null,
      actorType: "Organization",
      objectType: "Note",
      createdAt: epoch,
      updatedAt: epoch,
    },
    articles,
    validUntil: null,
    links: {
      page: tagPageUrl(publicUrl, slug),
      rss: tagDocumentUrl(publicUrl, slug, "rss"),
      atom: tagDocumentUrl(publicUrl, slug, "atom"),
      json: tagDocumentUrl(publicUrl, slug, "json"),
    },
  };
}
