import { plainTextFromHtml } from "../content/sanitize-html.ts";
import {
  type Article,
  type Author,
  type LiveUpdate,
  newestCorrections,
} from "../domain/article.ts";
import { articleUrl, correctionUrl, liveUpdateUrl } from "../domain/urls.ts";
import { webHref } from "./format.ts";

export interface ArticleJsonLdInput {
  readonly article: Article;
  /** The updates readers see (published by now, not deleted), newest first. */
  readonly updates: readonly LiveUpdate[];
  readonly publicUrl: string;
  readonly siteName: string;
}

/**
 * schema.org metadata for search engines: `LiveBlogPosting` with its coverage window and
 * updates for a story that is or was live, `NewsArticle` otherwise; either way its corrections as
 * `CorrectionComment`s, newest first.
 */
export function articleJsonLd(input: ArticleJsonLdInput): Record<string, unknown> {
  const { article, updates, publicUrl } = input;
  const url = articleUrl(publicUrl, article.id);
  const modified = Math.max(
    article.updatedAt.getTime(),
    ...updates.map((update) => update.updatedAt.getTime()),
  );
  const common = {
    "@context": "https://schema.org",
    "@id": url,
    url,
    mainEntityOfPage: article.canonicalUrl ?? url,
    headline: article.headline,
    ...(article.standfirst ? { description: article.standfirst } : {}),
    ...(article.image ? { image: [article.image.url] } : {}),
    datePublished: article.publishedAt.toISOString(),
    dateModified: new Date(modified).toISOString(),
    ...(article.authors.length > 0 ? { author: article.authors.map(person) } : {}),
    publisher: { "@type": "Organization", name: input.siteName, url: `${publicUrl}/` },
    inLanguage: article.language,
    ...(article.tags.length > 0 ? { keywords: article.tags } : {}),
    isAccessibleForFree: true,
    ...(article.corrections?.length
      ? {
          correction: newestCorrections(article).map((correction) => ({
            "@type": "CorrectionComment",
            text: correction.note,
            datePublished: correction.correctedAt.toISOString(),
            url: correctionUrl(publicUrl, article.id, correction.id),
          })),
        }
      : {}),
  };
  const coverage = liveCoverage(article, updates);
  if (!coverage) return { "@type": "NewsArticle", ...common };
  return {
    "@type": "LiveBlogPosting",
    ...common,
    coverageStartTime: coverage.start.toISOString(),
    ...(coverage.end ? { coverageEndTime: coverage.end.toISOString() } : {}),
    liveBlogUpdate: updates.map((update) => ({
      "@type": "BlogPosting",
      "@id": liveUpdateUrl(publicUrl, article.id, update.id),
      url: liveUpdateUrl(publicUrl, article.id, update.id),
      headline: update.headline ?? article.headline,
      datePublished: update.publishedAt.toISOString(),
      dateModified: update.updatedAt.toISOString(),
      articleBody: plainTextFromHtml(update.bodyHtml),
      ...(update.authors.length > 0 ? { author: update.authors.map(person) } : {}),
      ...(update.image ? { image: [update.image.url] } : {}),
    })),
  };
}

/**
 * The window a live blog covers, or null for a story that never was one. A story stays a
 * `LiveBlogPosting` once its coverage ended (closed feed, `live: false`): its updates are still
 * the page, and `coverageEndTime` says when it stopped (`liveEndedAt`; for a story whose updates
 * came without it ever being live, its last update). Starts at the earlier of publication and
 * the first update (updates may be backdated).
 *
 * While live, no `coverageEndTime`: schema.org defines it as when the blog *will* stop covering
 * the event (https://schema.org/coverageEndTime), a planned time nobody here knows, and none of
 * schema.org's or Google's current structured-data guidance requires it (Google's AMP-era live
 * coverage guide, which showed both times, is retired). A projection (now + 24 h) would state a
 * false end and change on every render, defeating the page's cache and ETag.
 */
function liveCoverage(
  article: Article,
  updates: readonly LiveUpdate[],
): { start: Date; end: Date | null } | null {
  const newest = updates[0]?.publishedAt;
  const oldest = updates.at(-1)?.publishedAt;
  const start = oldest && oldest < article.publishedAt ? oldest : article.publishedAt;
  if (article.live) return { start, end: null };
  const end = article.liveEndedAt ?? newest ?? null;
  return end ? { start, end } : null;
}

function person(author: Author): Record<string, string> {
  const url = webHref(author.url);
  return { "@type": "Person", name: author.name, ...(url ? { url } : {}) };
}

/**
 * JSON inside `<script>`: `<`, `>` and `&` escaped so no text (a headline with `</script>`) can
 * end the element or open a comment; U+2028/U+2029 too, for older JavaScript parsers. A data
 * block is never executed, so the CSP's `script-src 'self'` does not apply to it.
 */
export function scriptSafeJson(value: unknown): string {
  return JSON.stringify(value)
    .replaceAll("<", "\\u003c")
    .replaceAll(">", "\\u003e")
    .replaceAll("&", "\\u0026")
    .replaceAll("\u2028", "\\u2028")
    .replaceAll("\u2029", "\\u2029");
}

export function ArticleJsonLd(props: ArticleJsonLdInput) {
  return (
    <script
      type="application/ld+json"
      dangerouslySetInnerHTML={{ __html: scriptSafeJson(articleJsonLd(props)) }}
    />
  );
}
