import { html } from "hono/html";
import type { Article } from "../domain/article.ts";
import type { Feed } from "../domain/feed.ts";
import { articleUrl, FEED_FORMATS, feedDocumentUrl } from "../domain/urls.ts";
import { page } from "./layout.ts";

const FORMAT_NAMES = { rss: "RSS", atom: "Atom", json: "JSON Feed" } as const;
const FORMAT_TYPES = {
  rss: "application/rss+xml",
  atom: "application/atom+xml",
  json: "application/feed+json",
} as const;

/** A feed's page: its latest stories and every way to follow it. */
export function feedPage(feed: Feed, latest: readonly Article[], publicUrl: string) {
  const handle = `@${feed.slug}@${new URL(publicUrl).host}`;
  const head = html`${FEED_FORMATS.map(
    (format) =>
      html`<link rel="alternate" type="${FORMAT_TYPES[format]}" title="${feed.title} (${FORMAT_NAMES[format]})" href="${feedDocumentUrl(publicUrl, feed.slug, format)}">
`,
  )}<link rel="alternate" type="application/activity+json" href="${publicUrl}/ap/feeds/${feed.slug}">
<meta property="og:title" content="${feed.title}">
<meta name="description" content="${feed.description}">`;
  const body = html`<header>
<h1>${feed.title}</h1>
${feed.description ? html`<p>${feed.description}</p>` : ""}
${feed.status === "closed" ? html`<p><strong>This story is closed: no new articles will be added.</strong></p>` : ""}
</header>
<section aria-label="Follow">
<p>Follow in a feed reader: ${FEED_FORMATS.map(
    (format, i) =>
      html`${i > 0 ? ", " : ""}<a href="${feedDocumentUrl(publicUrl, feed.slug, format)}">${FORMAT_NAMES[format]}</a>`,
  )}. On the fediverse (e.g. Mastodon): <code>${handle}</code></p>
</section>
<section aria-label="Latest stories">
${
  latest.length === 0
    ? html`<p>No stories yet.</p>`
    : html`<ul>${latest.map(
        (article) =>
          html`<li><a href="${articleUrl(publicUrl, article.id)}">${article.headline}</a> <time class="meta" datetime="${article.publishedAt.toISOString()}">${article.publishedAt.toUTCString()}</time></li>`,
      )}</ul>`
}
</section>`;
  return page({ title: feed.title, lang: feed.language, head, body });
}
