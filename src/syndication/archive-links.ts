import type { FeedPaging } from "./model.ts";
import { escapeXmlAttribute } from "./xml.ts";

/** RFC 5005's namespace, for `fh:archive`. */
export const FEED_HISTORY_NAMESPACE = "http://purl.org/syndication/history/1.0";

const LINK_TYPES = { rss: "application/rss+xml", atom: "application/atom+xml" } as const;

/**
 * RFC 5005 markup of an RSS `channel` or an Atom `feed`: `fh:archive` on archive pages, and
 * `current`, `prev-archive` and `next-archive` links to the documents of the same format (in
 * RSS as `atom:link`, as RFC 5005 §1.1 allows). Empty for a document outside any archive.
 * feed 6.0.0 writes only self and hub links, so this goes into its skeleton (see `insertFirstChild`).
 */
export function pagingMarkup(paging: FeedPaging | null, format: "rss" | "atom"): string {
  if (paging === null) return "";
  const element = format === "rss" ? "atom:link" : "link";
  const link = (rel: string, url: string) =>
    `<${element} rel="${rel}" href="${escapeXmlAttribute(url)}" type="${LINK_TYPES[format]}"/>`;
  const parts = [
    paging.archive ? "<fh:archive/>" : "",
    paging.current ? link("current", paging.current[format]) : "",
    paging.prevArchive ? link("prev-archive", paging.prevArchive[format]) : "",
    paging.nextArchive ? link("next-archive", paging.nextArchive[format]) : "",
  ];
  return parts.filter((part) => part !== "").join("\n");
}

/**
 * Puts `markup` first inside the first `<element …>` of a skeleton (RSS `channel`, Atom `feed`).
 * Before `fill`, a skeleton holds only feed's markup and ours, so the first match is the element.
 */
export function insertFirstChild(skeleton: string, element: string, markup: string): string {
  if (markup === "") return skeleton;
  const start = new RegExp(`<${element}(\\s[^>]*)?>`).exec(skeleton);
  if (start === null) throw new Error(`feed output has no <${element}>`);
  const end = start.index + start[0].length;
  // Indented as the element's first child already is.
  const indent = /^\n([ \t]*)/.exec(skeleton.slice(end))?.[1] ?? "";
  const lines = markup.split("\n").map((line) => `\n${indent}${line}`);
  return `${skeleton.slice(0, end)}${lines.join("")}${skeleton.slice(end)}`;
}
