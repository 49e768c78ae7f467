import { plainTextFromHtml } from "../content/sanitize-html.ts";
import {
  type Article,
  type Author,
  type LiveUpdate,
  newestCorrections,
} from "../domain/article.ts";
import { articleUrl, correctionUrl, liveUpdateUrl } from "../domain/urls.ts";
import { webHref } from "./format.ts";

/**
 * How far past the request a live story's `coverageEndTime` is projected while it has no end:
 * schema.org and Google expect one on a `LiveBlogPosting`, and each render moves it on. Closing
 * the story (`live: false`) turns the page into a plain `NewsArticle`.
 */
const LIVE_COVERAGE_HORIZON_MS = 24 * 60 * 60 * 1000;

export interface ArticleJsonLdInput {
  readonly article: Article;
  /** The updates readers see (published by `now`, not deleted), newest first. */
  readonly updates: readonly LiveUpdate[];
  readonly publicUrl: string;
  readonly siteName: string;
  readonly now: Date;
}

/**
 * schema.org metadata for search engines: `LiveBlogPosting` with its coverage window and
 * updates while the story is live, `NewsArticle` otherwise; either way its corrections as
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
  if (!article.live) return { "@type": "NewsArticle", ...common };
  return {
    "@type": "LiveBlogPosting",
    ...common,
    coverageStartTime: article.publishedAt.toISOString(),
    coverageEndTime: new Date(input.now.getTime() + LIVE_COVERAGE_HORIZON_MS).toISOString(),
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
