import { createHash } from "node:crypto";
import { XMLParser, XMLValidator } from "fast-xml-parser";
import { CliError } from "../errors.ts";
import { collapse, decodeEntities, escapeHtml, htmlToText, isHttpUrl, truncate } from "./text.ts";

/** One entry of an RSS or Atom feed, ready to push (or the reason it cannot be). */
export interface FeedImportItem {
  /** 1-based position in the document. */
  readonly position: number;
  /** The guid (RSS) or id (Atom) that makes the import idempotent; the link when there is none. */
  readonly guid: string | null;
  /** How to name the item in messages: its title, else its guid. */
  readonly label: string;
  readonly article?: Record<string, unknown>;
  readonly error?: string;
}

export interface ParsedFeed {
  readonly format: "rss" | "atom";
  readonly title: string | null;
  readonly items: readonly FeedImportItem[];
}

type Node = Record<string, unknown>;

const ARRAYS = new Set([
  "item",
  "entry",
  "category",
  "link",
  "author",
  "enclosure",
  "media:content",
  "media:thumbnail",
  "dc:creator",
  "dc:subject",
]);

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: "@_",
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  processEntities: true,
  htmlEntities: true,
  isArray: (name) => ARRAYS.has(name),
  // Atom text constructs are kept raw: type="xhtml" holds markup, not child elements.
  stopNodes: ["feed.entry.content", "feed.entry.summary", "feed.entry.title"],
});

/** The `externalId` an imported item is pushed with; at most 200 characters. */
export function importExternalId(guid: string): string {
  const id = `import:${guid}`;
  return id.length <= 200 ? id : `import:sha256:${createHash("sha256").update(guid).digest("hex")}`;
}

/** Parses an RSS 2.0 (or 1.0) or Atom document into admin API article JSON, one per item. */
export function parseFeedDocument(
  xml: string,
  options: { source: string; feeds: readonly string[] },
): ParsedFeed {
  const valid = XMLValidator.validate(xml);
  if (valid !== true) {
    const { msg, line } = valid.err;
    throw new CliError(`${options.source} is not well-formed XML (line ${line}): ${msg}`);
  }
  const doc = parser.parse(xml) as Node;
  const rss = asNode(doc.rss);
  const rdf = asNode(doc["rdf:RDF"]);
  const atom = asNode(doc.feed);

  if (rss || rdf) {
    const channel = asNode(rss?.channel) ?? asNode(rdf?.channel) ?? {};
    const items = nodes(rss ? channel.item : rdf?.item);
    const language = languageOf(textOf(channel.language) ?? textOf(channel["dc:language"]));
    return {
      format: "rss",
      title: textOf(channel.title) ?? null,
      items: items.map((item, i) => rssItem(item, i + 1, { ...options, language })),
    };
  }
  if (atom) {
    const language = languageOf(textOf(atom["@_xml:lang"]));
    const feedAuthors = atomAuthors(atom.author);
    return {
      format: "atom",
      title: textOf(atom.title) ?? null,
      items: nodes(atom.entry).map((entry, i) =>
        atomEntry(entry, i + 1, { ...options, language, feedAuthors }),
      ),
    };
  }
  const root = Object.keys(doc).find((key) => !key.startsWith("?")) ?? "nothing";
  throw new CliError(
    `${options.source} is not an RSS 2.0 or Atom feed (its root element is <${root}>)`,
  );
}

interface ItemContext {
  readonly feeds: readonly string[];
  readonly language: string | undefined;
}

function rssItem(item: Node, position: number, context: ItemContext): FeedImportItem {
  const title = collapseOrUndefined(textOf(item.title));
  const link = textOf(item.link);
  const guid = textOf(item.guid) ?? link ?? null;
  const description = textOf(item.description);
  const content = textOf(item["content:encoded"]);
  const rawDate = textOf(item.pubDate) ?? textOf(item["dc:date"]);
  const authors = [
    ...nodes(item.author, true).map((a) => rssAuthorName(textOf(a) ?? "")),
    ...nodes(item["dc:creator"], true).map((a) => textOf(a) ?? ""),
  ];
  const tags = [...nodes(item.category, true), ...nodes(item["dc:subject"], true)].map(
    (c) => textOf(c) ?? "",
  );
  return buildItem(position, guid, title, context, {
    standfirst: description === undefined ? undefined : htmlToText(description),
    bodyHtml: content ?? description ?? "",
    rawDate,
    authors: authors.map((name) => ({ name })),
    tags,
    link,
    image: rssImage(item, title),
  });
}

function atomEntry(
  entry: Node,
  position: number,
  context: ItemContext & { feedAuthors: { name: string; url?: string }[] },
): FeedImportItem {
  const title = atomTextConstruct(entry.title);
  const headline =
    title && (title.type === "text" ? collapse(title.value) : htmlToText(title.value));
  const summary = atomTextConstruct(entry.summary);
  const content = asNode(entry.content)?.["@_src"] ? undefined : atomTextConstruct(entry.content);
  const links = nodes(entry.link);
  const alternate = links.find((l) => (textOf(l["@_rel"]) ?? "alternate") === "alternate");
  const authors = atomAuthors(entry.author);
  const enclosure = links.find(
    (l) => textOf(l["@_rel"]) === "enclosure" && isImageType(textOf(l["@_type"])),
  );
  const enclosureUrl = textOf(enclosure?.["@_href"]);
  return buildItem(
    position,
    textOf(entry.id) ?? textOf(alternate?.["@_href"]) ?? null,
    headline || undefined,
    context,
    {
      standfirst:
        summary && (summary.type === "text" ? collapse(summary.value) : htmlToText(summary.value)),
      bodyHtml: asHtml(content) ?? asHtml(summary) ?? "",
      rawDate: textOf(entry.published) ?? textOf(entry.updated),
      authors: authors.length > 0 ? authors : context.feedAuthors,
      tags: nodes(entry.category).map((c) => textOf(c["@_label"]) ?? textOf(c["@_term"]) ?? ""),
      link: textOf(alternate?.["@_href"]),
      image: enclosureUrl ? { url: enclosureUrl } : mediaImage(entry),
    },
  );
}

interface Fields {
  readonly standfirst: string | undefined;
  readonly bodyHtml: string;
  readonly rawDate: string | undefined;
  readonly authors: readonly { name: string; url?: string }[];
  readonly tags: readonly string[];
  readonly link: string | undefined;
  readonly image: { url: string; alt?: string; credit?: string } | undefined;
}

function buildItem(
  position: number,
  guid: string | null,
  title: string | undefined,
  context: ItemContext,
  fields: Fields,
): FeedImportItem {
  const label = title ?? guid ?? `item ${position}`;
  if (guid === null || guid.trim() === "") {
    return {
      position,
      guid: null,
      label,
      error: "has neither a guid/id nor a link, so it cannot be imported idempotently",
    };
  }
  let publishedAt: string | undefined;
  if (fields.rawDate !== undefined) {
    const date = new Date(fields.rawDate);
    if (Number.isNaN(date.getTime())) {
      return {
        position,
        guid,
        label,
        error: `/publishedAt: cannot read the date "${fields.rawDate}"`,
      };
    }
    publishedAt = date.toISOString();
  }
  const authors = uniqueBy(
    fields.authors.filter((a) => a.name.trim() !== ""),
    (a) => a.name,
  )
    .slice(0, 20)
    .map((a) => ({
      name: truncate(collapse(a.name), 200),
      ...(a.url && isHttpUrl(a.url) ? { url: a.url } : {}),
    }));
  const tags = uniqueBy(
    fields.tags.map((t) => truncate(collapse(t), 100)).filter((t) => t !== ""),
    (t) => t.toLowerCase(),
  ).slice(0, 30);
  const standfirst = fields.standfirst ? truncate(fields.standfirst, 2000) : undefined;
  const image =
    fields.image && isHttpUrl(fields.image.url)
      ? {
          url: fields.image.url,
          alt: truncate(collapse(fields.image.alt || title || "Image"), 1500),
          ...(fields.image.credit ? { credit: truncate(collapse(fields.image.credit), 300) } : {}),
        }
      : undefined;

  const article: Record<string, unknown> = {
    ...(title === undefined ? {} : { headline: truncate(title, 300) }),
    ...(standfirst ? { standfirst } : {}),
    bodyHtml: fields.bodyHtml,
    authors,
    tags,
    feeds: [...context.feeds],
    ...(context.language ? { language: context.language } : {}),
    ...(publishedAt ? { publishedAt } : {}),
    ...(fields.link && isHttpUrl(fields.link) ? { canonicalUrl: fields.link } : {}),
    ...(image ? { image } : {}),
    externalId: importExternalId(guid),
  };
  return { position, guid, label, article };
}

/** RSS `<author>` is an e-mail address, often as `jane@example.com (Jane Doe)`. */
function rssAuthorName(value: string): string {
  const named = /\(([^)]+)\)\s*$/.exec(value);
  if (named?.[1]) return named[1];
  return value.includes("@") && !value.includes(" ") ? (value.split("@")[0] ?? value) : value;
}

function rssImage(item: Node, title: string | undefined): Fields["image"] {
  const enclosure = nodes(item.enclosure).find(
    (e) => isImageType(textOf(e["@_type"])) || isImagePath(textOf(e["@_url"])),
  );
  const url = textOf(enclosure?.["@_url"]);
  if (url) return { url, ...(title ? { alt: title } : {}), ...mediaCredit(item) };
  return mediaImage(item);
}

/** `media:content` (Media RSS) of medium image, else `media:thumbnail`. */
function mediaImage(node: Node): { url: string; alt?: string; credit?: string } | undefined {
  const group = asNode(node["media:group"]) ?? {};
  const contents = [...nodes(node["media:content"]), ...nodes(group["media:content"])];
  const content = contents.find(
    (m) =>
      textOf(m["@_medium"]) === "image" ||
      isImageType(textOf(m["@_type"])) ||
      (m["@_medium"] === undefined && m["@_type"] === undefined && isImagePath(textOf(m["@_url"]))),
  );
  const url =
    textOf(content?.["@_url"]) ??
    textOf(nodes(node["media:thumbnail"])[0]?.["@_url"]) ??
    textOf(nodes(group["media:thumbnail"])[0]?.["@_url"]);
  if (!url) return undefined;
  const alt =
    textOf(content?.["media:description"]) ??
    textOf(node["media:description"]) ??
    textOf(content?.["media:title"]);
  return { url, ...(alt ? { alt: htmlToText(alt) } : {}), ...mediaCredit(content ?? node) };
}

function mediaCredit(node: Node): { credit?: string } {
  const credit = textOf(node["media:credit"]);
  return credit ? { credit } : {};
}

function atomAuthors(value: unknown): { name: string; url?: string }[] {
  return nodes(value).flatMap((author) => {
    const name = textOf(author.name);
    const uri = textOf(author.uri);
    return name ? [{ name, ...(uri ? { url: uri } : {}) }] : [];
  });
}

interface TextConstruct {
  readonly type: "text" | "html" | "xhtml";
  readonly value: string;
}

/** An Atom text construct kept raw by the parser: decoded text, HTML, or the XHTML inside its div. */
function atomTextConstruct(value: unknown): TextConstruct | undefined {
  if (value === undefined || value === null) return undefined;
  const node = asNode(value);
  const raw = node ? (textOf(node["#text"]) ?? "") : String(value);
  const type = (textOf(node?.["@_type"]) ?? "text").toLowerCase();
  if (type === "xhtml") {
    const inner = /^\s*<(?:\w+:)?div\b[^>]*>([\s\S]*)<\/(?:\w+:)?div>\s*$/i.exec(raw);
    return { type: "xhtml", value: (inner?.[1] ?? raw).trim() };
  }
  const decoded = decodeRaw(raw).trim();
  if (type === "html" || type === "text/html") return { type: "html", value: decoded };
  if (type === "text" || type === "text/plain") return { type: "text", value: decoded };
  return undefined; // another media type (an image, a PDF…): not text
}

function asHtml(construct: TextConstruct | undefined): string | undefined {
  if (!construct || construct.value === "") return undefined;
  if (construct.type !== "text") return construct.value;
  return construct.value
    .split(/\n\s*\n/)
    .map((paragraph) => `<p>${escapeHtml(collapse(paragraph))}</p>`)
    .join("\n");
}

/** Raw XML character data: entities decoded outside CDATA sections, CDATA kept verbatim. */
function decodeRaw(raw: string): string {
  return raw
    .split(/(<!\[CDATA\[[\s\S]*?\]\]>)/)
    .map((part) => (part.startsWith("<![CDATA[") ? part.slice(9, -3) : decodeEntities(part)))
    .join("");
}

function isImageType(type: string | undefined): boolean {
  return type?.toLowerCase().startsWith("image/") ?? false;
}

function isImagePath(url: string | undefined): boolean {
  return url !== undefined && /\.(jpe?g|png|gif|webp|avif)(\?|#|$)/i.test(url);
}

function languageOf(value: string | undefined): string | undefined {
  return value && /^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})*$/.test(value) ? value : undefined;
}

function collapseOrUndefined(value: string | undefined): string | undefined {
  const text = value === undefined ? "" : collapse(value);
  return text === "" ? undefined : text;
}

/** The text of an element: a string, `{ "#text": … }` (with attributes), or the first of many. */
function textOf(value: unknown): string | undefined {
  if (Array.isArray(value)) return textOf(value[0]);
  if (typeof value === "string") return value.trim() === "" ? undefined : value.trim();
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (typeof value === "object" && value !== null) return textOf((value as Node)["#text"]);
  return undefined;
}

function asNode(value: unknown): Node | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as Node)
    : undefined;
}

/** Child elements as objects; with `keepText`, text-only elements too (wrapped as `#text`). */
function nodes(value: unknown, keepText = false): Node[] {
  const list = Array.isArray(value) ? value : value === undefined ? [] : [value];
  return list.flatMap((entry): Node[] => {
    if (typeof entry === "object" && entry !== null) return [entry as Node];
    if (keepText && (typeof entry === "string" || typeof entry === "number")) {
      return [{ "#text": String(entry) }];
    }
    return [];
  });
}

function uniqueBy<T>(values: readonly T[], key: (value: T) => string): T[] {
  const seen = new Set<string>();
  return values.filter((value) => {
    const k = key(value);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
