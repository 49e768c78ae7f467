import type { Feed } from "../domain/feed.ts";
import { FEED_FORMATS, type FeedFormat, feedDocumentUrl } from "../domain/urls.ts";

const DATE_TIME = new Intl.DateTimeFormat("en-GB", {
  dateStyle: "long",
  timeStyle: "short",
  timeZone: "UTC",
});

/** A date as readers see it; always UTC, so a page looks the same from every server. */
export function readableDate(date: Date): string {
  return `${DATE_TIME.format(date)} UTC`;
}

/** `@user@host` as `fediverse:creator` wants it, or undefined for anything else. */
export function creatorHandle(handle: string | undefined): string | undefined {
  if (handle === undefined) return undefined;
  const bare = handle.trim().replace(/^@/, "");
  return /^[^@\s]+@[^@\s]+$/.test(bare) ? `@${bare}` : undefined;
}

export const FORMAT_NAMES: Readonly<Record<FeedFormat, string>> = {
  rss: "RSS",
  atom: "Atom",
  json: "JSON Feed",
};

export const FORMAT_TYPES: Readonly<Record<FeedFormat, string>> = {
  rss: "application/rss+xml",
  atom: "application/atom+xml",
  json: "application/feed+json",
};

/** Autodiscovery links for one feed's documents. */
export function feedAlternates(publicUrl: string, feed: Pick<Feed, "slug" | "title">) {
  return FEED_FORMATS.map((format) => ({
    type: FORMAT_TYPES[format],
    title: `${feed.title} (${FORMAT_NAMES[format]})`,
    href: feedDocumentUrl(publicUrl, feed.slug, format),
  }));
}

/** A link target only when it is an http(s) URL: stored URLs come from outside (the fediverse). */
export function webHref(url: string | null | undefined): string | undefined {
  const parsed = url ? URL.parse(url) : null;
  return parsed && (parsed.protocol === "https:" || parsed.protocol === "http:")
    ? parsed.href
    : undefined;
}
