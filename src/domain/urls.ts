/** Every public URL Tidings hands out, built from the configured origin (no trailing slash). */
export type FeedFormat = "rss" | "atom" | "json";

export const FEED_FORMATS: readonly FeedFormat[] = ["rss", "atom", "json"];

export function articleUrl(publicUrl: string, articleId: string): string {
  return `${publicUrl}/articles/${encodeURIComponent(articleId)}`;
}

export function feedPageUrl(publicUrl: string, slug: string): string {
  return `${publicUrl}/${encodeURIComponent(slug)}`;
}

export function feedDocumentUrl(publicUrl: string, slug: string, format: FeedFormat): string {
  return `${publicUrl}/feeds/${encodeURIComponent(slug)}.${format}`;
}

/** A feed's fediverse handle, `@slug@host`. */
export function fediverseHandle(publicUrl: string, slug: string): string {
  return `@${slug}@${new URL(publicUrl).host}`;
}

/** The WebSub hub every feed document names (`rel="hub"`). */
export function websubHubUrl(publicUrl: string): string {
  return `${publicUrl}/websub`;
}

/** The `Link` header value of a feed document: its hub and itself (WebSub discovery). */
export function websubLinkHeader(publicUrl: string, slug: string, format: FeedFormat): string {
  return `<${websubHubUrl(publicUrl)}>; rel="hub", <${feedDocumentUrl(publicUrl, slug, format)}>; rel="self"`;
}
