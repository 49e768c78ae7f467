import type { Clock, FeedRepository } from "../domain/ports.ts";
import type { FeedFormat } from "../domain/urls.ts";
import type { SitemapView } from "../storage/views/sitemap.view.ts";
import { OPML_CONTENT_TYPE, renderOpml } from "./opml.ts";
import type { SiteDocument } from "./site-document-cache.ts";
import {
  NEWS_SITEMAP_MAX_URLS,
  NEWS_WINDOW_MS,
  renderNewsSitemap,
  renderSitemap,
  SITEMAP_CONTENT_TYPE,
  SITEMAP_MAX_URLS,
} from "./sitemap.ts";

/** `opml` lists every format; `opml-rss` … one format each (`/feeds.opml?format=rss`). */
export type SiteDocumentName = "opml" | `opml-${FeedFormat}` | "sitemap" | "news-sitemap";

export interface SiteDocumentSources {
  readonly feeds: Pick<FeedRepository, "list">;
  readonly sitemap: SitemapView;
  readonly publicUrl: string;
  readonly siteName: string;
  readonly clock: Clock;
}

function earliest(...dates: (Date | null)[]): Date | null {
  const times = dates.flatMap((date) => (date === null ? [] : [date.getTime()]));
  return times.length === 0 ? null : new Date(Math.min(...times));
}

/** How each site-wide document is read and rendered, for the SiteDocumentCache. */
export function siteDocumentBuilders(
  sources: SiteDocumentSources,
): Record<SiteDocumentName, () => Promise<SiteDocument>> {
  const { feeds, sitemap, publicUrl, siteName, clock } = sources;
  const opml = (format?: FeedFormat) => async (): Promise<SiteDocument> => {
    const listed = await feeds.list();
    const text = renderOpml({ siteName, publicUrl, feeds: listed, format });
    const updated = new Date(Math.max(0, ...listed.map((feed) => feed.updatedAt.getTime())));
    // Feed changes invalidate it; nothing else does.
    return { text, contentType: OPML_CONTENT_TYPE, updated, validUntil: null };
  };
  return {
    opml: opml(),
    "opml-rss": opml("rss"),
    "opml-atom": opml("atom"),
    "opml-json": opml("json"),
    // The sitemaps are dated by their build: a deletion changes them without any newer date.
    sitemap: async () => {
      const now = clock.now();
      const [listed, articles, next] = await Promise.all([
        feeds.list(),
        sitemap.articles(now, SITEMAP_MAX_URLS),
        sitemap.nextScheduled(now),
      ]);
      return {
        text: renderSitemap({ publicUrl, feeds: listed, articles }),
        contentType: SITEMAP_CONTENT_TYPE,
        updated: now,
        validUntil: next,
      };
    },
    "news-sitemap": async () => {
      const now = clock.now();
      const since = new Date(now.getTime() - NEWS_WINDOW_MS);
      const [articles, next] = await Promise.all([
        sitemap.publishedSince(since, now, NEWS_SITEMAP_MAX_URLS),
        sitemap.nextScheduled(now),
      ]);
      // It also changes when its oldest article leaves the 48-hour window.
      const oldest = articles.at(-1);
      const leaves = oldest ? new Date(oldest.publishedAt.getTime() + NEWS_WINDOW_MS + 1) : null;
      return {
        text: renderNewsSitemap({ publicUrl, siteName, articles }),
        contentType: SITEMAP_CONTENT_TYPE,
        updated: now,
        validUntil: earliest(next, leaves),
      };
    },
  };
}
