import type { Article } from "../domain/article.ts";
import type { Feed } from "../domain/feed.ts";
import { websubLinkHeader } from "../domain/urls.ts";
import { renderAtom } from "./atom.ts";
import { renderJsonFeed } from "./json-feed.ts";
import { buildFeedModel, type FeedLinks, type FeedPaging, type FeedUpdate } from "./model.ts";
import { renderRss } from "./rss.ts";
import { withPreviewScript } from "./stylesheet.ts";

export interface FeedDocumentInput {
  readonly feed: Feed;
  /** Public articles of the feed, newest first, already limited to FEED_ITEM_LIMIT. */
  readonly articles: readonly Article[];
  /** Their public live updates, newest first (FEED_ITEM_LIMIT counts articles and updates). */
  readonly updates?: readonly FeedUpdate[] | undefined;
  /** Origin of every URL, e.g. "https://news.example" (no trailing slash). */
  readonly publicUrl: string;
  /** Largest document in bytes (FEED_MAX_BYTES): older items then carry summary and link. */
  readonly maxBytes?: number | undefined;
  readonly links?: FeedLinks | undefined;
  /** Its place in the feed's archive (RFC 5005), for the feed document and archive pages. */
  readonly paging?: FeedPaging | undefined;
}

export interface RenderedFeedDocuments {
  readonly rss: string;
  readonly atom: string;
  readonly json: string;
  /** The RSS and Atom variants served to browsers: with the XHTML preview script (stylesheet.ts). */
  readonly browser: { readonly rss: string; readonly atom: string };
  /** the feed's `updated` date */
  readonly updated: Date;
  /** Each document's `Link` header: its WebSub hub and itself (archive pages: none, no topic). */
  readonly links?: { readonly rss: string; readonly atom: string; readonly json: string };
}

/**
 * Renders a feed as RSS 2.0, Atom 1.0 and JSON Feed 1.1. Pure: the same input gives byte-identical
 * documents, dated by the latest of the feed's and its articles' dates, never by the clock.
 */
export function renderFeedDocuments(input: FeedDocumentInput): RenderedFeedDocuments {
  const model = buildFeedModel(input);
  const rss = renderRss(model);
  const atom = renderAtom(model);
  return {
    rss,
    atom,
    json: renderJsonFeed(model),
    browser: { rss: withPreviewScript(rss, "channel"), atom: withPreviewScript(atom, "feed") },
    updated: model.updated,
    ...(input.paging?.archive
      ? {}
      : {
          links: {
            rss: websubLinkHeader(input.publicUrl, input.feed.slug, "rss"),
            atom: websubLinkHeader(input.publicUrl, input.feed.slug, "atom"),
            json: websubLinkHeader(input.publicUrl, input.feed.slug, "json"),
          },
        }),
  };
}
