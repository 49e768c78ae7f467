import { cleanText, sanitizeArticleHtml } from "../content/sanitize-html.ts";
import type { Article } from "../domain/article.ts";
import type { Feed } from "../domain/feed.ts";
import { articleUrl, feedDocumentUrl, feedPageUrl } from "../domain/urls.ts";
import { leadImageFigure, summaryText } from "./html.ts";
import { imageMediaType } from "./media-type.ts";

/** What every feed format says about one feed, with text cleaned and URLs checked. */
export interface FeedModel {
  readonly title: string;
  readonly description: string;
  readonly language: string;
  /** Whether the feed has ended (a closed story feed). */
  readonly expired: boolean;
  readonly homePageUrl: string;
  readonly rssUrl: string;
  readonly atomUrl: string;
  readonly jsonUrl: string;
  readonly iconUrl: string | null;
  readonly imageUrl: string | null;
  /** Latest of the feed's and its articles' dates; never the clock. */
  readonly updated: Date;
  readonly entries: readonly EntryModel[];
}

export interface EntryModel {
  /** The article's URL on this site: RSS guid, Atom id, JSON Feed id. Stable across edits. */
  readonly id: string;
  /** Where readers go: the canonical URL when there is one, else `id`. */
  readonly link: string;
  /** The canonical URL when it is not the article's own URL. */
  readonly externalUrl: string | null;
  readonly title: string;
  /** Plain text; empty when the article has neither standfirst nor body text. */
  readonly summary: string;
  /** Sanitised HTML: the lead image as a figure, then the body. */
  readonly contentHtml: string;
  readonly authors: readonly { readonly name: string; readonly url: string | null }[];
  readonly tags: readonly string[];
  readonly image: EntryImage | null;
  readonly language: string;
  readonly published: Date;
  /** Never before `published`: Atom and JSON Feed readers expect modified >= published. */
  readonly updated: Date;
}

export interface EntryImage {
  readonly url: string;
  /** Registered MIME type, or `null` when the URL does not tell. */
  readonly type: string | null;
  readonly alt: string;
  readonly caption: string | null;
  readonly credit: string | null;
}

/**
 * Normalises an absolute http(s) URL, or returns `null`. feed 6.0.0 runs URLs through `new URL()`
 * without a try, so one malformed URL would throw while rendering the whole feed.
 */
function webUrl(value: string | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  try {
    const url = new URL(value);
    return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
  } catch {
    return null;
  }
}

/**
 * Our own URLs, in the form `new URL()` gives them: feed normalises some URLs that way and not
 * others, and the article URL must be the same string as RSS guid, Atom id and JSON Feed id.
 * Throws for a malformed `publicUrl`, a configuration error.
 */
function ownUrl(url: string): string {
  return new URL(url).href;
}

function optionalText(value: string | null | undefined): string | null {
  const text = cleanText(value ?? "");
  return text.trim() === "" ? null : text;
}

function latest(...dates: Date[]): Date {
  return new Date(Math.max(...dates.map((date) => date.getTime())));
}

function entryModel(article: Article, publicUrl: string): EntryModel {
  const id = ownUrl(articleUrl(publicUrl, article.id));
  const canonical = webUrl(article.canonicalUrl);
  const imageUrl = webUrl(article.image?.url);
  const image =
    article.image && imageUrl !== null
      ? {
          url: imageUrl,
          type: imageMediaType(imageUrl),
          alt: cleanText(article.image.alt),
          caption: optionalText(article.image.caption),
          credit: optionalText(article.image.credit),
        }
      : null;
  const figure = image === null ? "" : leadImageFigure(image);
  return {
    id,
    link: canonical ?? id,
    externalUrl: canonical !== null && canonical !== id ? canonical : null,
    title: cleanText(article.headline),
    summary: summaryText(article.standfirst, article.bodyHtml),
    contentHtml: figure + sanitizeArticleHtml(article.bodyHtml, id),
    // Blank names and tags would give empty `dc:creator`, Atom `name` and `category term`.
    authors: article.authors
      .map((author) => ({ name: cleanText(author.name), url: webUrl(author.url) }))
      .filter((author) => author.name.trim() !== ""),
    tags: article.tags.map(cleanText).filter((tag) => tag.trim() !== ""),
    image,
    language: cleanText(article.language),
    published: article.publishedAt,
    updated: latest(article.publishedAt, article.updatedAt),
  };
}

export interface FeedModelInput {
  readonly feed: Feed;
  readonly articles: readonly Article[];
  readonly publicUrl: string;
}

export function buildFeedModel({ feed, articles, publicUrl }: FeedModelInput): FeedModel {
  return {
    title: cleanText(feed.title),
    description: cleanText(feed.description),
    language: cleanText(feed.language),
    expired: feed.status === "closed",
    homePageUrl: ownUrl(feedPageUrl(publicUrl, feed.slug)),
    rssUrl: ownUrl(feedDocumentUrl(publicUrl, feed.slug, "rss")),
    atomUrl: ownUrl(feedDocumentUrl(publicUrl, feed.slug, "atom")),
    jsonUrl: ownUrl(feedDocumentUrl(publicUrl, feed.slug, "json")),
    iconUrl: webUrl(feed.iconUrl),
    imageUrl: webUrl(feed.imageUrl),
    updated: latest(
      feed.updatedAt,
      ...articles.flatMap((article) => [article.publishedAt, article.updatedAt]),
    ),
    entries: articles.map((article) => entryModel(article, publicUrl)),
  };
}

/** Named in RSS and Atom `generator`; feed 6.0.0 would otherwise advertise itself. */
export const FEED_GENERATOR = "Tidings";
