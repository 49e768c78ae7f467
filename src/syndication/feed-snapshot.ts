import { type Article, isPublic, type LiveUpdate } from "../domain/article.ts";
import type { Clock, Repositories } from "../domain/ports.ts";
import { siteIconUrl, tagDocumentUrl, tagPageUrl, tagSlug } from "../domain/urls.ts";
import { type ArchiveOptions, feedDocumentPaging } from "./archive-snapshot.ts";
import type { FeedSnapshot } from "./feed-document-cache.ts";
import { type FeedUpdate, newestItems } from "./model.ts";

/**
 * Reads what a feed's documents are rendered from: the feed and its newest public articles and
 * live updates, `itemLimit` of them together, and (with `archive`) its newest archive page.
 */
export async function loadFeedSnapshot(
  repos: Repositories,
  slug: string,
  itemLimit: number,
  clock: Clock,
  archive?: ArchiveOptions,
): Promise<FeedSnapshot | undefined> {
  const feed = await repos.feeds.find(slug);
  if (!feed) return undefined;
  const now = clock.now();
  const listed = await repos.articles.listPublicInFeed(slug, itemLimit, now);
  const updates = await withArticles(
    repos,
    await repos.liveUpdates.listPublicInFeed(slug, itemLimit, now),
    listed,
    now,
  );
  const { articles, updates: kept } = newestItems(listed, updates, itemLimit);
  const validUntil = await nextScheduledChange(repos, slug, now);
  const paging = archive ? await feedDocumentPaging(repos, slug, now, archive) : undefined;
  return { feed, articles, updates: kept, validUntil, ...(paging ? { paging } : {}) };
}

/** When a feed's documents next change by themselves: its next scheduled article or update. */
export async function nextScheduledChange(
  repos: Repositories,
  slug: string,
  now: Date,
): Promise<Date | null> {
  return earliest(
    await repos.articles.nextScheduledInFeed(slug, now),
    await repos.liveUpdates.nextScheduledInFeed(slug, now),
  );
}

/**
 * Pairs updates with their articles: those listed, else read (an update of an older story
 * than the listed ones). Updates of articles not public by `now` are left out.
 */
async function withArticles(
  repos: Repositories,
  updates: readonly LiveUpdate[],
  listed: readonly Article[],
  now: Date,
): Promise<FeedUpdate[]> {
  const articles = new Map(listed.map((article) => [article.id, article]));
  for (const { articleId } of updates) {
    if (articles.has(articleId)) continue;
    const article = await repos.articles.findById(articleId);
    if (article && isPublic(article, now)) articles.set(articleId, article);
  }
  return updates.flatMap((update) => {
    const article = articles.get(update.articleId);
    return article ? [{ update, article }] : [];
  });
}

function earliest(a: Date | null, b: Date | null): Date | null {
  if (a === null) return b;
  if (b === null) return a;
  return a.getTime() <= b.getTime() ? a : b;
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
  const now = clock.now();
  const listed = await repos.articles.listPublicWithTag(slug, itemLimit, now);
  const newest = listed[0];
  if (!newest) return undefined;
  const updates = await withArticles(
    repos,
    await repos.liveUpdates.listPublicForArticles(
      listed.map((article) => article.id),
      itemLimit,
      now,
    ),
    listed,
    now,
  );
  const { articles, updates: kept } = newestItems(listed, updates, itemLimit);
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
      // A tag belongs to no feed: its documents show the service's own icon.
      iconUrl: siteIconUrl(publicUrl),
      imageUrl: siteIconUrl(publicUrl),
      actorType: "Organization",
      objectType: "Note",
      quotePolicy: "everyone",
      closedAt: null,
      createdAt: epoch,
      updatedAt: epoch,
    },
    articles,
    updates: kept,
    // A tagged story or update still under embargo changes the documents at its time.
    validUntil: earliest(
      await repos.articles.nextScheduledWithTag(slug, now),
      await repos.liveUpdates.nextScheduledForArticles(
        listed.map((article) => article.id),
        now,
      ),
    ),
    links: {
      page: tagPageUrl(publicUrl, slug),
      rss: tagDocumentUrl(publicUrl, slug, "rss"),
      atom: tagDocumentUrl(publicUrl, slug, "atom"),
      json: tagDocumentUrl(publicUrl, slug, "json"),
    },
  };
}
