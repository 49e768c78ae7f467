import { html, raw } from "hono/html";
import type { Article } from "../domain/article.ts";
import { articleUrl, feedDocumentUrl } from "../domain/urls.ts";
import { page } from "./layout.ts";

/** A reader's view of one article. The body is already sanitised when stored. */
export function articlePage(article: Article, publicUrl: string) {
  const homeFeed = article.feeds[0];
  const canonical = article.canonicalUrl ?? articleUrl(publicUrl, article.id);
  const head = html`<link rel="canonical" href="${canonical}">
${
  homeFeed
    ? html`<link rel="alternate" type="application/rss+xml" href="${feedDocumentUrl(publicUrl, homeFeed, "rss")}">
<link rel="alternate" type="application/atom+xml" href="${feedDocumentUrl(publicUrl, homeFeed, "atom")}">
<link rel="alternate" type="application/feed+json" href="${feedDocumentUrl(publicUrl, homeFeed, "json")}">`
    : ""
}
<meta property="og:title" content="${article.headline}">
<meta property="og:type" content="article">
<meta property="og:url" content="${articleUrl(publicUrl, article.id)}">
${article.standfirst ? html`<meta name="description" content="${article.standfirst}">` : ""}
${article.image ? html`<meta property="og:image" content="${article.image.url}">` : ""}`;
  const image = article.image;
  const body = html`<article>
<h1>${article.headline}</h1>
${article.standfirst ? html`<p><strong>${article.standfirst}</strong></p>` : ""}
<p class="meta">${article.authors.map((a) => a.name).join(", ")}
<time datetime="${article.publishedAt.toISOString()}">${article.publishedAt.toUTCString()}</time></p>
${
  image
    ? html`<figure><img src="${image.url}" alt="${image.alt}">${
        image.caption || image.credit
          ? html`<figcaption>${[image.caption, image.credit].filter(Boolean).join(" ")}</figcaption>`
          : ""
      }</figure>`
    : ""
}
${raw(article.bodyHtml)}
</article>`;
  return page({ title: article.headline, lang: article.language, head, body });
}

export function gonePage(publicUrl: string) {
  return page({
    title: "This article was removed",
    lang: "en",
    body: html`<h1>This article was removed</h1><p>It is no longer available. <a href="${publicUrl}/">Back to the front page</a>.</p>`,
  });
}
