import { type Article, newestCorrections } from "../domain/article.ts";
import { articleUrl } from "../domain/urls.ts";

/** The id of a correction's paragraph on the article page, so each can be linked to. */
export function correctionAnchor(correctionId: string): string {
  return `correction-${correctionId}`;
}

/**
 * The article as schema.org `NewsArticle` JSON-LD, for search engines and news aggregators; its
 * corrections as `CorrectionComment`s, newest first. Returned as the text of a
 * `<script type="application/ld+json">` data block (never run, so the CSP has nothing to allow):
 * `<`, `>` and `&` are written as JSON escapes so no text can close the element.
 */
export function articleJsonLd(article: Article, publicUrl: string, siteName: string): string {
  const url = articleUrl(publicUrl, article.id);
  const data = {
    "@context": "https://schema.org",
    "@type": "NewsArticle",
    headline: article.headline,
    ...(article.standfirst ? { description: article.standfirst } : {}),
    url,
    mainEntityOfPage: article.canonicalUrl ?? url,
    inLanguage: article.language,
    datePublished: article.publishedAt.toISOString(),
    dateModified: article.updatedAt.toISOString(),
    ...(article.image ? { image: [article.image.url] } : {}),
    ...(article.tags.length > 0 ? { keywords: article.tags.join(", ") } : {}),
    publisher: { "@type": "Organization", name: siteName, url: `${publicUrl}/` },
    ...(article.corrections?.length
      ? {
          correction: newestCorrections(article).map((correction) => ({
            "@type": "CorrectionComment",
            text: correction.note,
            datePublished: correction.correctedAt.toISOString(),
            url: `${url}#${correctionAnchor(correction.id)}`,
          })),
        }
      : {}),
  };
  return JSON.stringify(data).replace(
    /[<>&]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}
