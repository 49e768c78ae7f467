import { archivePage, newestArchivePage } from "../domain/archive.ts";
import { FEED_SLUG_PATTERN } from "../domain/feed.ts";
import type { Clock, Repositories } from "../domain/ports.ts";
import { type FEED_FORMATS, feedArchiveUrl, feedDocumentUrl, feedPageUrl } from "../domain/urls.ts";
import type { FeedSnapshot } from "./feed-document-cache.ts";
import type { FeedPaging, FormatUrls } from "./model.ts";

/** How a feed's archive is laid out and addressed. */
export interface ArchiveOptions {
  /** Articles per page (FEED_ARCHIVE_PAGE_SIZE). */
  readonly pageSize: number;
  readonly publicUrl: string;
}

function urls(url: (format: (typeof FEED_FORMATS)[number]) => string): FormatUrls {
  return { rss: url("rss"), atom: url("atom"), json: url("json") };
}

const pageUrls = (options: ArchiveOptions, slug: string, page: number) =>
  urls((format) => feedArchiveUrl(options.publicUrl, slug, page, format));

/** The feed document's paging: `prev-archive` to the newest archive page, if it has any. */
export async function feedDocumentPaging(
  repos: Repositories,
  slug: string,
  now: Date,
  options: ArchiveOptions,
): Promise<FeedPaging | undefined> {
  const newest = newestArchivePage(
    await repos.articles.countArchivePlaces(slug, now),
    options.pageSize,
  );
  if (newest === null) return undefined;
  return {
    archive: false,
    current: null,
    prevArchive: pageUrls(options, slug, newest),
    nextArchive: null,
  };
}

/** Archive pages are cached by `slug/page`. */
export function archiveKey(slug: string, page: number): string {
  return `${slug}/${page}`;
}

/** The feed a key of `archiveKey` belongs to. */
export function archiveKeySlug(key: string): string {
  return key.slice(0, key.lastIndexOf("/"));
}

/** `3.rss` -> { page: 3, format: "rss" }; undefined for anything else (`03.rss`, `0.rss`). */
export function parseArchiveFile(file: string) {
  const match = /^([1-9]\d{0,8})\.(rss|atom|json)$/.exec(file);
  if (!match) return undefined;
  return { page: Number(match[1]), format: match[2] as (typeof FEED_FORMATS)[number] };
}

/**
 * What one archive page is rendered from (src/domain/archive.ts): its articles newest first,
 * without live updates (a page must not change while a story it holds goes on), linked to its
 * neighbours and to the feed document. Undefined for a feed or page that does not exist.
 */
export async function loadArchiveSnapshot(
  repos: Repositories,
  key: string,
  clock: Clock,
  options: ArchiveOptions,
): Promise<FeedSnapshot | undefined> {
  const slug = archiveKeySlug(key);
  const number = Number(key.slice(slug.length + 1));
  if (!FEED_SLUG_PATTERN.test(slug)) return undefined;
  const feed = await repos.feeds.find(slug);
  if (!feed) return undefined;
  const now = clock.now();
  const places = await repos.articles.countArchivePlaces(slug, now);
  const page = archivePage(number, places, options.pageSize);
  if (!page) return undefined;
  const articles = await repos.articles.listArchivePage(slug, now, page.offset, page.size);
  const self = pageUrls(options, slug, number);
  return {
    feed,
    articles,
    // A page still filling gains the next embargoed article at its time.
    validUntil: page.full ? null : await repos.articles.nextScheduledInFeed(slug, now),
    links: { page: feedPageUrl(options.publicUrl, slug), ...self },
    paging: {
      archive: true,
      current: urls((format) => feedDocumentUrl(options.publicUrl, slug, format)),
      prevArchive: number > 1 ? pageUrls(options, slug, number - 1) : null,
      // Linked as soon as this page is full, so that it does not change when the next one starts.
      nextArchive: page.full ? pageUrls(options, slug, number + 1) : null,
    },
    immutable: page.full,
  };
}
