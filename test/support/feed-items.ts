/** Reading feed documents back in tests, whatever their format. */
import { XMLParser, XMLValidator } from "fast-xml-parser";
import { expect } from "vitest";

export const CONTENT_TYPES = {
  rss: "application/rss+xml; charset=utf-8",
  atom: "application/atom+xml; charset=utf-8",
  json: "application/feed+json; charset=utf-8",
} as const;

export type Format = keyof typeof CONTENT_TYPES;

const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: "@" });

/** Item titles of a feed document (XML ones are checked for well-formedness first). */
export function titles(format: Format, body: string): string[] {
  if (format === "json") {
    return (JSON.parse(body) as { items: { title: string }[] }).items.map((i) => i.title);
  }
  expect(XMLValidator.validate(body)).toBe(true);
  const doc = parser.parse(body);
  const items = format === "rss" ? doc.rss.channel.item : doc.feed.entry;
  const list = items === undefined ? [] : Array.isArray(items) ? items : [items];
  return list.map((item: { title: string | { "#text": string } }) =>
    typeof item.title === "string" ? item.title : item.title["#text"],
  );
}
