import type { Feed } from "../domain/feed.ts";
import { FEED_FORMATS, type FeedFormat, feedDocumentUrl, feedPageUrl } from "../domain/urls.ts";
import { escapeXmlAttribute, escapeXmlText } from "./xml.ts";

export const OPML_CONTENT_TYPE = "text/x-opml; charset=utf-8";

const FORMAT_NAMES: Readonly<Record<FeedFormat, string>> = {
  rss: "RSS 2.0",
  atom: "Atom",
  json: "JSON Feed",
};

export interface OpmlInput {
  readonly siteName: string;
  readonly publicUrl: string;
  /** The feeds to list, in reading order; only open ones belong in a subscription list. */
  readonly feeds: readonly Feed[];
  /** One format, a flat list (`/feeds.opml?format=rss`); all: one folder per format. */
  readonly format?: FeedFormat | undefined;
}

/**
 * OPML 2.0 subscription list (`/feeds.opml`) for one-click import into feed readers: an outline
 * of `type="rss"` per feed and format (the type OPML uses for any feed; readers go by `xmlUrl`),
 * each format in its own folder unless one format is asked for. Closed story feeds are left out:
 * nothing more will be published in them. Dated by the newest feed change, never the clock.
 */
export function renderOpml({ siteName, publicUrl, feeds, format }: OpmlInput): string {
  const open = feeds.filter((feed) => feed.status === "open");
  const updated = new Date(Math.max(0, ...open.map((feed) => feed.updatedAt.getTime())));
  const outline = (feed: Feed, fmt: FeedFormat, indent: string) => {
    const attributes: [string, string][] = [
      ["type", "rss"],
      ["text", feed.title],
      ["title", feed.title],
      ["xmlUrl", feedDocumentUrl(publicUrl, feed.slug, fmt)],
      ["htmlUrl", feedPageUrl(publicUrl, feed.slug)],
    ];
    if (feed.description.trim() !== "") attributes.push(["description", feed.description]);
    if (feed.language.trim() !== "") attributes.push(["language", feed.language]);
    if (fmt === "rss") attributes.push(["version", "RSS2"]);
    const rendered = attributes.map(([name, value]) => ` ${name}="${escapeXmlAttribute(value)}"`);
    return `${indent}<outline${rendered.join("")}/>`;
  };
  const body =
    format === undefined
      ? FEED_FORMATS.flatMap((fmt) => {
          const name = escapeXmlAttribute(FORMAT_NAMES[fmt]);
          const children = open.map((feed) => outline(feed, fmt, "      "));
          return [`    <outline text="${name}" title="${name}">`, ...children, "    </outline>"];
        })
      : open.map((feed) => outline(feed, format, "    "));
  const title =
    format === undefined ? `${siteName} feeds` : `${siteName} feeds (${FORMAT_NAMES[format]})`;
  return [
    '<?xml version="1.0" encoding="utf-8"?>',
    '<opml version="2.0">',
    "  <head>",
    `    <title>${escapeXmlText(title)}</title>`,
    `    <dateModified>${updated.toUTCString()}</dateModified>`,
    `    <ownerName>${escapeXmlText(siteName)}</ownerName>`,
    `    <docs>http://opml.org/spec2.opml</docs>`,
    "  </head>",
    "  <body>",
    ...body,
    "  </body>",
    "</opml>",
    "",
  ].join("\n");
}
