import { cleanText, sanitizeArticleHtml } from "../content/sanitize-html.ts";
import type { Article, Correction, LiveUpdate } from "../domain/article.ts";
import type { Feed } from "../domain/feed.ts";
import {
  articleUrl,
  type FeedFormat,
  feedArtworkUrl,
  feedDocumentUrl,
  feedPageUrl,
  liveUpdateUrl,
  websubHubUrl,
} from "../domain/urls.ts";
import {
  correctionsHtml,
  escapeHtml,
  escapeHtmlAttribute,
  leadImageFigure,
  summaryText,
  utcMinute,
} from "./html.ts";
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
  /** The WebSub hub that pushes this feed's documents to subscribers; null for archive pages. */
  readonly hubUrl: string | null;
  /** RFC 5005 links (archived feeds); null for documents that are not part of an archive. */
  readonly paging: FeedPaging | null;
  /** Square: the feed's `iconUrl`, else the artwork Tidings draws for it (feed-artwork.ts). */
  readonly iconUrl: string;
  /** Wide: the feed's `imageUrl`, else its drawn header. */
  readonly imageUrl: string;
  /** Latest of the feed's and its articles' dates; never the clock. */
  readonly updated: Date;
  readonly entries: readonly EntryModel[];
}

export interface EntryModel {
  /**
   * The article's URL on this site (a live update's: that URL with `#update-ID`): RSS guid, Atom
   * id, JSON Feed id. Stable across edits.
   */
  readonly id: string;
  /** Whether `id` is the item's own page (an article) rather than an anchor in one (an update). */
  readonly permalink: boolean;
  /** Where readers go: the canonical URL when there is one, else `id`. */
  readonly link: string;
  /** The canonical URL when it is not the article's own URL. */
  readonly externalUrl: string | null;
  readonly title: string;
  /** Public corrections, said first in the content (updates have none of their own). */
  readonly corrections: readonly Correction[];
  /** Plain text shown before the content (and its image); null for none. */
  readonly warning: string | null;
  /** Plain text; empty when the article has neither standfirst nor body text. */
  readonly summary: string;
  /**
   * Sanitised HTML: the lead image as a figure, then the body; or, for an item past the
   * document's size limit, the summary and a link to the story.
   */
  readonly contentHtml: string;
  /** False when `contentHtml` is the summary and a link (the document reached its size limit). */
  readonly fullContent: boolean;
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

/** What an entry says besides its content, before the size limit decides on the content. */
type EntryFrame = Omit<EntryModel, "contentHtml" | "fullContent">;

function articleFrame(
  article: Article,
  updates: readonly LiveUpdate[],
  publicUrl: string,
): EntryFrame {
  const id = ownUrl(articleUrl(publicUrl, article.id));
  const canonical = webUrl(article.canonicalUrl);
  const image = entryImage(article.image);
  return {
    id,
    permalink: true,
    link: canonical ?? id,
    externalUrl: canonical !== null && canonical !== id ? canonical : null,
    title: cleanText(article.headline),
    corrections: article.corrections ?? [],
    warning: optionalText(article.contentWarning),
    summary: summaryText(article.standfirst, article.bodyHtml),
    // Blank names and tags would give empty `dc:creator`, Atom `name` and `category term`.
    authors: article.authors
      .map((author) => ({ name: cleanText(author.name), url: webUrl(author.url) }))
      .filter((author) => author.name.trim() !== ""),
    tags: article.tags.map(cleanText).filter((tag) => tag.trim() !== ""),
    image,
    language: cleanText(article.language),
    published: article.publishedAt,
    // The article's entry moves with its newest update, so readers see the story changed.
    updated: latest(
      article.publishedAt,
      article.updatedAt,
      ...updates.flatMap((update) => [update.publishedAt, update.updatedAt]),
    ),
  };
}

function entryImage(image: Article["image"]): EntryImage | null {
  const url = webUrl(image?.url);
  return image && url !== null
    ? {
        url,
        type: imageMediaType(url),
        alt: cleanText(image.alt),
        caption: optionalText(image.caption),
        credit: optionalText(image.credit),
      }
    : null;
}

/**
 * A live update as its own item: an anchor in the article's page (not a permalink), titled
 * `Update: HEADLINE`, or the article's headline and the time; the article's warning, language
 * and tags.
 */
function updateFrame(update: LiveUpdate, article: Article, publicUrl: string): EntryFrame {
  const id = ownUrl(liveUpdateUrl(publicUrl, article.id, update.id));
  const headline = optionalText(update.headline);
  return {
    id,
    permalink: false,
    link: id,
    externalUrl: null,
    title:
      headline === null
        ? `${cleanText(article.headline)} (${utcMinute(update.publishedAt)})`
        : `Update: ${headline}`,
    corrections: [],
    warning: optionalText(article.contentWarning),
    summary: summaryText(null, update.bodyHtml),
    authors: update.authors
      .map((author) => ({ name: cleanText(author.name), url: webUrl(author.url) }))
      .filter((author) => author.name.trim() !== ""),
    tags: article.tags.map(cleanText).filter((tag) => tag.trim() !== ""),
    image: entryImage(update.image),
    language: cleanText(article.language),
    published: update.publishedAt,
    updated: latest(update.publishedAt, update.updatedAt),
  };
}

/** The whole story: the lead image as a figure, then the body (sanitised again, as it is shown). */
function fullContent(frame: EntryFrame, bodyHtml: string): string {
  const figure = frame.image === null ? "" : leadImageFigure(frame.image);
  return preamble(frame) + figure + sanitizeArticleHtml(bodyHtml, frame.id);
}

/**
 * What comes before everything else in an item, image included: its corrections (readers who
 * saw the story before must see what changed first), then the content warning.
 */
function preamble(frame: EntryFrame): string {
  const warning =
    frame.warning === null
      ? ""
      : `<p><strong>Content warning:</strong> ${escapeHtml(frame.warning)}</p>`;
  return correctionsHtml(frame.corrections) + warning;
}

/** What an item past the size limit carries instead of the story. */
function shortContent(frame: EntryFrame): string {
  const summary = frame.summary === "" ? "" : `<p>${escapeHtml(frame.summary)}</p>`;
  return `${preamble(frame)}${summary}<p><a href="${escapeHtmlAttribute(frame.link)}">Read the whole story</a></p>`;
}

/** Room for a document's own header (title, links, description, image) and closing tags. */
const DOCUMENT_OVERHEAD_BYTES = 4 * 1024;
/** Room for an item's element names, URLs and dates, which every format spells differently. */
const ENTRY_OVERHEAD_BYTES = 1024;

/**
 * An upper bound of what `text` takes in any of the three documents: its UTF-8 bytes, plus what
 * escaping adds (`&` -> `&amp;amp;` when HTML is XML-escaped, and so on).
 */
export function encodedWeight(text: string): number {
  let weight = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) weight += c === 0x26 ? 9 : c === 0x3c || c === 0x3e ? 8 : c === 0x22 ? 11 : 1;
    else if (c < 0x800) weight += 2;
    // A surrogate pair is one 4-byte character; each half counts 2.
    else weight += c >= 0xd800 && c <= 0xdfff ? 2 : 3;
  }
  return weight;
}

function frameWeight(frame: EntryFrame): number {
  const texts = [
    frame.title,
    frame.warning ?? "",
    frame.summary,
    frame.link,
    frame.externalUrl ?? "",
    ...frame.authors.flatMap((author) => [author.name, author.url ?? ""]),
    ...frame.tags,
    frame.image?.url ?? "",
    frame.image?.alt ?? "",
    frame.image?.caption ?? "",
    frame.image?.credit ?? "",
  ];
  return ENTRY_OVERHEAD_BYTES + texts.reduce((sum, text) => sum + encodedWeight(text), 0);
}

/** A live update with the article it belongs to (its headline, warning, language, tags). */
export interface FeedUpdate {
  readonly update: LiveUpdate;
  readonly article: Article;
}

/** One item of a feed: an article or one of its live updates. */
type FeedItem =
  | { readonly kind: "article"; readonly article: Article }
  | ({ readonly kind: "update" } & FeedUpdate);

function itemDate(item: FeedItem): Date {
  return item.kind === "article" ? item.article.publishedAt : item.update.publishedAt;
}

function itemId(item: FeedItem): string {
  return item.kind === "article" ? item.article.id : item.update.id;
}

/** Newest first: by publication time, then id (newer UUIDv7 first), as the feed queries sort. */
function newerFirst(a: FeedItem, b: FeedItem): number {
  const byDate = itemDate(b).getTime() - itemDate(a).getTime();
  if (byDate !== 0) return byDate;
  const idA = itemId(a);
  const idB = itemId(b);
  return idA < idB ? 1 : idA > idB ? -1 : 0;
}

/**
 * Articles and live updates together, newest first, at most `limit` of them (FEED_ITEM_LIMIT
 * counts both). Each list must already be newest first.
 */
export function newestItems(
  articles: readonly Article[],
  updates: readonly FeedUpdate[],
  limit: number,
): { articles: Article[]; updates: FeedUpdate[] } {
  const items: FeedItem[] = [
    ...articles.map((article) => ({ kind: "article", article }) as const),
    ...updates.map((update) => ({ kind: "update", ...update }) as const),
  ].sort(newerFirst);
  const kept = items.slice(0, Math.max(0, limit));
  return {
    articles: kept.flatMap((item) => (item.kind === "article" ? [item.article] : [])),
    updates: kept.flatMap((item) =>
      item.kind === "update" ? [{ update: item.update, article: item.article }] : [],
    ),
  };
}

/**
 * Entries newest first within `maxBytes`: every entry first gets room for its summary and a
 * link (the oldest that do not fit even so are left out; the newest is always kept), then the
 * newest get the whole story, as long as the rest fits.
 */
function entriesWithin(
  articles: readonly Article[],
  updates: readonly FeedUpdate[],
  publicUrl: string,
  maxBytes: number,
): EntryModel[] {
  const items: FeedItem[] = [
    ...articles.map((article) => ({ kind: "article", article }) as const),
    ...updates.map((update) => ({ kind: "update", ...update }) as const),
  ].sort(newerFirst);
  const updatesOf = (articleId: string) =>
    updates.filter((u) => u.article.id === articleId).map((u) => u.update);
  let room = maxBytes - DOCUMENT_OVERHEAD_BYTES;
  const entries: EntryModel[] = [];
  const bodies: string[] = [];
  const shortBytes: number[] = [];
  for (const item of items) {
    const frame =
      item.kind === "article"
        ? articleFrame(item.article, updatesOf(item.article.id), publicUrl)
        : updateFrame(item.update, item.article, publicUrl);
    const contentHtml = shortContent(frame);
    const bytes = frameWeight(frame) + encodedWeight(contentHtml);
    if (bytes > room && entries.length > 0) break;
    entries.push({ ...frame, contentHtml, fullContent: false });
    bodies.push(item.kind === "article" ? item.article.bodyHtml : item.update.bodyHtml);
    shortBytes.push(encodedWeight(contentHtml));
    room -= bytes;
  }
  for (const [index, entry] of entries.entries()) {
    const contentHtml = fullContent(entry, bodies[index] ?? "");
    const extra = encodedWeight(contentHtml) - (shortBytes[index] ?? 0);
    if (extra > room) break;
    entries[index] = { ...entry, contentHtml, fullContent: true };
    room -= extra;
  }
  return entries;
}

/** A URL in each format, e.g. one archive page's three documents. */
export type FormatUrls = Readonly<Record<FeedFormat, string>>;

/**
 * Where a document sits in its feed's archive (RFC 5005 §4). The feed document links
 * `prev-archive` to the newest archive page; each page links its neighbours and `current`.
 */
export interface FeedPaging {
  /** An archive page (`fh:archive`), not the feed document itself. */
  readonly archive: boolean;
  /** The feed document (on archive pages). */
  readonly current: FormatUrls | null;
  /** The next older page. */
  readonly prevArchive: FormatUrls | null;
  /** The next newer page (archive pages only). */
  readonly nextArchive: FormatUrls | null;
}

export interface FeedModelInput {
  readonly feed: Feed;
  readonly articles: readonly Article[];
  /** Public live updates of those articles (or of others in the feed), newest first. */
  readonly updates?: readonly FeedUpdate[] | undefined;
  readonly publicUrl: string;
  /** Largest document (FEED_MAX_BYTES); unlimited when unset. */
  readonly maxBytes?: number | undefined;
  /** Where the page and documents live, when not the feed's own (a tag's, an archive page's). */
  readonly links?: FeedLinks | undefined;
  readonly paging?: FeedPaging | undefined;
}

export interface FeedLinks {
  readonly page: string;
  readonly rss: string;
  readonly atom: string;
  readonly json: string;
}

export function buildFeedModel({
  feed,
  articles,
  updates = [],
  publicUrl,
  maxBytes = Number.POSITIVE_INFINITY,
  links,
  paging,
}: FeedModelInput): FeedModel {
  return {
    title: cleanText(feed.title),
    description: cleanText(feed.description),
    language: cleanText(feed.language),
    expired: feed.status === "closed",
    homePageUrl: ownUrl(links?.page ?? feedPageUrl(publicUrl, feed.slug)),
    rssUrl: ownUrl(links?.rss ?? feedDocumentUrl(publicUrl, feed.slug, "rss")),
    atomUrl: ownUrl(links?.atom ?? feedDocumentUrl(publicUrl, feed.slug, "atom")),
    jsonUrl: ownUrl(links?.json ?? feedDocumentUrl(publicUrl, feed.slug, "json")),
    // Archive pages are no WebSub topics (the hub would deny them): only the feed names a hub.
    hubUrl: paging?.archive ? null : ownUrl(websubHubUrl(publicUrl)),
    paging: paging ?? null,
    // Readers show an icon beside every feed; without one of its own a feed gets the one the
    // fediverse actor has too (src/federation/actor.ts).
    iconUrl: webUrl(feed.iconUrl) ?? ownUrl(feedArtworkUrl(publicUrl, feed.slug, "icon")),
    imageUrl: webUrl(feed.imageUrl) ?? ownUrl(feedArtworkUrl(publicUrl, feed.slug, "header")),
    updated: latest(
      feed.updatedAt,
      ...articles.flatMap((article) => [article.publishedAt, article.updatedAt]),
      ...updates.flatMap(({ update }) => [update.publishedAt, update.updatedAt]),
    ),
    entries: entriesWithin(articles, updates, publicUrl, maxBytes),
  };
}

/** Named in RSS and Atom `generator`; feed 6.0.0 would otherwise advertise itself. */
export const FEED_GENERATOR = "Tidings";
