import type { Feed } from "../domain/feed.ts";
import { articleUrl, feedPageUrl } from "../domain/urls.ts";
import type { NewsArticle, SitemapArticle } from "../storage/views/sitemap.view.ts";
import { escapeXmlText } from "./xml.ts";

export const SITEMAP_CONTENT_TYPE = "application/xml; charset=utf-8";
const SITEMAP_NAMESPACE = "http://www.sitemaps.org/schemas/sitemap/0.9";
const NEWS_NAMESPACE = "http://www.google.com/schemas/sitemap-news/0.9";

/** The sitemap protocol's limit of URLs per file. */
export const SITEMAP_MAX_URLS = 50_000;
/** Google News: at most 1,000 URLs, of articles published in the last two days. */
export const NEWS_SITEMAP_MAX_URLS = 1_000;
export const NEWS_WINDOW_MS = 48 * 60 * 60 * 1000;

function latest(dates: readonly Date[]): Date | null {
  return dates.length === 0 ? null : new Date(Math.max(...dates.map((date) => date.getTime())));
}

function url(loc: string, lastmod: Date | null, inner: readonly string[] = []): string[] {
  return [
    "  <url>",
    `    <loc>${escapeXmlText(loc)}</loc>`,
    ...(lastmod === null ? [] : [`    <lastmod>${lastmod.toISOString()}</lastmod>`]),
    ...inner,
    "  </url>",
  ];
}

/**
 * `/sitemap.xml`: the front page, every feed's page and the newest public articles (as many as
 * the protocol's 50,000 URLs leave room for), each dated by its last change.
 */
export function renderSitemap(input: {
  readonly publicUrl: string;
  readonly feeds: readonly Feed[];
  readonly articles: readonly SitemapArticle[];
}): string {
  const { publicUrl, feeds, articles } = input;
  const room = Math.max(0, SITEMAP_MAX_URLS - 1 - feeds.length);
  const listed = articles.slice(0, room);
  return [
    '<?xml version="1.0" encoding="utf-8"?>',
    `<urlset xmlns="${SITEMAP_NAMESPACE}">`,
    ...url(`${publicUrl}/`, latest([...feeds, ...listed].map((item) => item.updatedAt))),
    ...feeds.flatMap((feed) => url(feedPageUrl(publicUrl, feed.slug), feed.updatedAt)),
    ...listed.flatMap((article) => url(articleUrl(publicUrl, article.id), article.updatedAt)),
    "</urlset>",
    "",
  ].join("\n");
}

/**
 * Google News wants ISO 639 codes, with Chinese as `zh-cn` or `zh-tw`: `en-GB` -> `en`,
 * `zh-Hant-HK` -> `zh-tw`.
 */
export function newsLanguage(tag: string): string {
  const parts = tag.trim().toLowerCase().split(/[-_]/);
  const primary = parts[0] || "und";
  if (primary !== "zh") return primary;
  return parts.some((part) => ["hant", "tw", "hk", "mo"].includes(part)) ? "zh-tw" : "zh-cn";
}

/**
 * `/news-sitemap.xml`: the Google News sitemap of the articles published in the last 48 hours
 * (the caller passes just those), each with `news:publication` (the site's name and the
 * article's language), `news:publication_date` and `news:title`.
 */
export function renderNewsSitemap(input: {
  readonly publicUrl: string;
  readonly siteName: string;
  readonly articles: readonly NewsArticle[];
}): string {
  const { publicUrl, siteName, articles } = input;
  return [
    '<?xml version="1.0" encoding="utf-8"?>',
    `<urlset xmlns="${SITEMAP_NAMESPACE}" xmlns:news="${NEWS_NAMESPACE}">`,
    ...articles
      .slice(0, NEWS_SITEMAP_MAX_URLS)
      .flatMap((article) =>
        url(articleUrl(publicUrl, article.id), article.updatedAt, [
          "    <news:news>",
          "      <news:publication>",
          `        <news:name>${escapeXmlText(siteName)}</news:name>`,
          `        <news:language>${escapeXmlText(newsLanguage(article.language))}</news:language>`,
          "      </news:publication>",
          `      <news:publication_date>${article.publishedAt.toISOString()}</news:publication_date>`,
          `      <news:title>${escapeXmlText(article.headline)}</news:title>`,
          "    </news:news>",
        ]),
      ),
    "</urlset>",
    "",
  ].join("\n");
}
