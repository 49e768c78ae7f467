import fc from "fast-check";
import { XMLParser, XMLValidator } from "fast-xml-parser";
import { describe, expect, it } from "vitest";
import { cleanText } from "../../src/content/sanitize-html.ts";
import type {
  Article,
  Author,
  Correction,
  LeadImage,
  LiveUpdate,
} from "../../src/domain/article.ts";
import type { Feed } from "../../src/domain/feed.ts";
import {
  type RenderedFeedDocuments,
  renderFeedDocuments,
} from "../../src/syndication/render-feed-documents.ts";
import { parseWithExpat } from "../support/expat.ts";
import { FIXTURE_PUBLIC_URL, fixtureFeed, fixtureStory } from "../support/fixture-story.ts";

/**
 * The contract under test: whatever the text, every XML document is well-formed XML 1.0 and every
 * plain-text field reads back as exactly `cleanText(input)` (no trimming, no whitespace folding).
 * Atom declares titles `type="html"`, so there the XML value is that text HTML-escaped. Blank tags
 * and author names are left out.
 */

const NASTY = fc.constantFrom(
  "\u0000",
  "\u0001",
  "\u00010\u0002", // shaped like the renderer's internal placeholders
  "\u0008",
  "\u000B",
  "\u001F",
  "\uD800",
  "\uDBFF",
  "\uDC00",
  "\uD83D\uDE00",
  "\uFFFE",
  "\uFFFF",
  "]]>",
  "]]]]><![CDATA[>",
  "<![CDATA[",
  "<",
  ">",
  "&",
  "&amp;",
  "&lt;",
  "&#8;",
  '"',
  "'",
  "\r",
  "\r\n",
  "\n",
  "\t",
  " ",
  "<p>",
  "</title>",
  "-->",
  "\u0085",
  "\u2028",
);
const LONE_SURROGATE = fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c));

const text = fc
  .array(
    fc.oneof(
      fc.string({ unit: "binary", maxLength: 12 }),
      fc.string({ unit: "binary-ascii", maxLength: 12 }),
      LONE_SURROGATE,
      NASTY,
    ),
    { maxLength: 8 },
  )
  .map((parts) => parts.join(""));

const URLS = fc.constantFrom(
  "https://news.example/media/a.jpg",
  "https://cdn.example/p/b.PNG?w=1&h=2",
  "https://cdn.example/noext",
  "http://x.example/a%20b.webp#frag",
  "javascript:alert(1)",
  "data:image/png;base64,AAAA",
  "not a url",
  "",
  "https://[bad",
);

function escapeForHtml(value: string): string {
  return value.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");
}

const author: fc.Arbitrary<Author> = fc.record({
  name: text,
  url: fc.option(URLS, { nil: undefined }),
});

const image: fc.Arbitrary<LeadImage> = fc.record({
  url: URLS,
  alt: text,
  caption: fc.option(text, { nil: undefined }),
  credit: fc.option(text, { nil: undefined }),
});

const bodyHtml = fc.oneof(
  // Markup as an editor would send it…
  fc
    .array(text, { maxLength: 4 })
    .map((paragraphs) => paragraphs.map((p) => `<p>${escapeForHtml(p)}</p>`).join("\n")),
  // …or any string at all (stored bodies are sanitised, but the renderer must not rely on it).
  text,
);

const story = fixtureStory();

const article: fc.Arbitrary<Article> = fc
  .record({
    headline: text,
    standfirst: fc.option(text, { nil: null }),
    bodyHtml,
    authors: fc.array(author, { maxLength: 3 }),
    image: fc.option(image, { nil: null }),
    tags: fc.array(text, { maxLength: 4 }),
    canonicalUrl: fc.option(URLS, { nil: null }),
  })
  .map((fields) => ({ ...story, ...fields }));

const feed: fc.Arbitrary<Feed> = fc
  .record({ title: text, description: text })
  .map((fields) => ({ ...fixtureFeed(), ...fields }));

const input = fc.record({ feed, article });

function render({ feed, article }: { feed: Feed; article: Article }): RenderedFeedDocuments {
  return renderFeedDocuments({ feed, articles: [article], publicUrl: FIXTURE_PUBLIC_URL });
}

const xmlParser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: "@",
  trimValues: false,
  parseTagValue: false,
  htmlEntities: true,
  isArray: (name) => ["item", "entry", "category", "dc:creator", "author", "link"].includes(name),
});

/** Anything outside the XML 1.0 `Char` production (with `u`, a lone surrogate is its own code point). */
const NOT_XML_CHAR = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

function at(node: unknown, ...path: (string | number)[]): unknown {
  let current = node;
  for (const key of path) {
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<string | number, unknown>)[key];
  }
  return current;
}

function textOf(node: unknown): string {
  if (typeof node === "string") return node;
  const text = at(node, "#text");
  return typeof text === "string" ? text : "";
}

function list(node: unknown): unknown[] {
  return Array.isArray(node) ? node : [];
}

/** Undoes the HTML escaping of Atom `type="html"` text (one pass, so `&amp;lt;` stays `&lt;`). */
function decodeHtml(html: string): string {
  const entities: Record<string, string> = {
    "&amp;": "&",
    "&lt;": "<",
    "&gt;": ">",
    "&quot;": '"',
  };
  return html.replace(/&(?:amp|lt|gt|quot);/g, (entity) => entities[entity] ?? entity);
}

const nonBlank = (value: string) => value.trim() !== "";
const expectedNames = (authors: readonly Author[]) =>
  authors.map((a) => cleanText(a.name)).filter(nonBlank);
const expectedTags = (tags: readonly string[]) => tags.map(cleanText).filter(nonBlank);
const isWebUrl = (url: string | null | undefined) =>
  url !== undefined && url !== null && /^https?:\/\/[a-z]/.test(url);

function allStrings(value: unknown): string[] {
  if (typeof value === "string") return [value];
  if (value !== null && typeof value === "object") return Object.values(value).flatMap(allStrings);
  return [];
}

function checkXml(doc: string): unknown {
  expect(NOT_XML_CHAR.test(doc)).toBe(false);
  expect(XMLValidator.validate(doc)).toBe(true);
  return xmlParser.parse(doc);
}

describe("feed documents for arbitrary text", () => {
  it("are well-formed and read back as the cleaned text", () => {
    fc.assert(
      fc.property(input, ({ feed, article }) => {
        const { rss, atom, json } = render({ feed, article });
        const headline = cleanText(article.headline);
        const standfirst = cleanText(article.standfirst ?? "");
        const names = expectedNames(article.authors);
        const tags = expectedTags(article.tags);
        const alt = cleanText(article.image?.alt ?? "");
        const hasImage = article.image !== null && isWebUrl(article.image.url);

        const channel = at(checkXml(rss), "rss", "channel");
        const item = at(channel, "item", 0);
        expect(textOf(at(channel, "title"))).toBe(cleanText(feed.title));
        expect(textOf(at(channel, "description"))).toBe(cleanText(feed.description));
        expect(textOf(at(item, "title"))).toBe(headline);
        if (nonBlank(standfirst)) {
          expect(decodeHtml(textOf(at(item, "description")))).toBe(standfirst);
        }
        expect(list(at(item, "dc:creator")).map(textOf)).toEqual(names);
        expect(list(at(item, "category")).map(textOf)).toEqual(tags);
        if (hasImage && alt !== "") {
          expect(textOf(at(item, "media:content", "media:description"))).toBe(alt);
        }

        const atomFeed = at(checkXml(atom), "feed");
        const entry = at(atomFeed, "entry", 0);
        expect(textOf(at(atomFeed, "title"))).toBe(cleanText(feed.title));
        expect(decodeHtml(textOf(at(entry, "title")))).toBe(headline);
        if (nonBlank(standfirst)) expect(decodeHtml(textOf(at(entry, "summary")))).toBe(standfirst);
        expect(list(at(entry, "author")).map((a) => textOf(at(a, "name")))).toEqual(names);
        expect(list(at(entry, "category")).map((c) => at(c, "@term"))).toEqual(tags);
        const enclosure = list(at(entry, "link")).find((l) => at(l, "@rel") === "enclosure");
        expect(enclosure !== undefined).toBe(hasImage);
        if (hasImage && alt !== "") expect(at(enclosure, "@title")).toBe(alt);

        const jsonFeed: unknown = JSON.parse(json);
        expect(allStrings(jsonFeed).filter((s) => /\p{Cs}/u.test(s))).toEqual([]);
        expect(at(jsonFeed, "version")).toBe("https://jsonfeed.org/version/1.1");
        expect(at(jsonFeed, "title")).toBe(cleanText(feed.title));
        expect(at(jsonFeed, "items", 0, "title")).toBe(headline);
        if (nonBlank(standfirst)) expect(at(jsonFeed, "items", 0, "summary")).toBe(standfirst);
        expect(list(at(jsonFeed, "items", 0, "authors")).map((a) => at(a, "name"))).toEqual(names);
        expect(at(jsonFeed, "items", 0, "tags") ?? []).toEqual(tags);
      }),
      { numRuns: 200 },
    );
  });

  it("are deterministic", () => {
    fc.assert(
      fc.property(input, (value) => {
        const once = render(value);
        const twice = render(structuredClone(value));
        expect(twice).toEqual(once);
      }),
      { numRuns: 50 },
    );
  });
});

/**
 * A developing story: the article with public corrections and its live updates, every text of
 * them hostile. Each update is its own item with a stable id (the article's URL and
 * `#update-ID`); the article's item opens with its corrections.
 */
const MINUTE = 60_000;

const liveUpdates: fc.Arbitrary<LiveUpdate[]> = fc
  .array(
    fc.record({
      headline: fc.option(text, { nil: null }),
      bodyHtml,
      authors: fc.array(author, { maxLength: 2 }),
      image: fc.option(image, { nil: null }),
      revised: fc.boolean(),
    }),
    { maxLength: 6 },
  )
  .map((drafts) =>
    drafts.map(({ revised, ...fields }, n) => {
      const publishedAt = new Date(story.publishedAt.getTime() + (n + 1) * MINUTE);
      return {
        ...fields,
        id: `0191c8a2-7a3e-7cc1-9d3e-0000000000${String(n).padStart(2, "0")}`,
        articleId: story.id,
        externalId: null,
        publishedAt,
        updatedAt: revised ? new Date(publishedAt.getTime() + 30_000) : publishedAt,
        createdAt: publishedAt,
        revision: revised ? 2 : 1,
        deletedAt: null,
      };
    }),
  );

const corrections: fc.Arbitrary<Correction[]> = fc
  .array(text, { minLength: 1, maxLength: 3 })
  .map((notes) =>
    notes.map((note, n) => ({
      id: `0196f1a2-0000-7000-8000-0000000000${String(n).padStart(2, "0")}`,
      revision: n + 2,
      note,
      correctedAt: new Date(story.publishedAt.getTime() + (n * 2 + 1) * 30_000),
    })),
  );

const developingStory = fc
  .record({ feed, article, updates: liveUpdates, corrections })
  .map(({ feed, article, updates, corrections }) => ({
    feed,
    article: { ...article, live: true, revision: corrections.length + 1, corrections },
    updates,
  }));

type DevelopingStory = { feed: Feed; article: Article; updates: LiveUpdate[] };

function renderStory({ feed, article, updates }: DevelopingStory): RenderedFeedDocuments {
  return renderFeedDocuments({
    feed,
    articles: [article],
    updates: [...updates].reverse().map((update) => ({ update, article })),
    publicUrl: FIXTURE_PUBLIC_URL,
  });
}

/** Newest first, as the feeds list them: each update's id, then the article's. */
function expectedIds({ article, updates }: DevelopingStory): string[] {
  const page = `${FIXTURE_PUBLIC_URL}/articles/${article.id}`;
  return [...updates.map((update) => `${page}#update-${update.id}`).reverse(), page];
}

/** `Update: HEADLINE`, or the article's headline and the update's time when it has none. */
function expectedUpdateTitle(update: LiveUpdate, article: Article): string {
  const headline = cleanText(update.headline ?? "");
  if (headline.trim() !== "") return `Update: ${headline}`;
  const minute = `${update.publishedAt.toISOString().slice(0, 16).replace("T", " ")} UTC`;
  return `${cleanText(article.headline)} (${minute})`;
}

describe("feed documents of a developing story (updates and corrections) for arbitrary text", () => {
  it("are well-formed, one item per update with a stable id, corrections first", () => {
    fc.assert(
      fc.property(developingStory, (value) => {
        const { rss, atom, json } = renderStory(value);
        const ids = expectedIds(value);
        const titles = [
          ...[...value.updates].reverse().map((u) => expectedUpdateTitle(u, value.article)),
          cleanText(value.article.headline),
        ];
        const notes = (value.article.corrections ?? []).length;

        const items = list(at(checkXml(rss), "rss", "channel", "item"));
        expect(items.map((item) => textOf(at(item, "guid")))).toEqual(ids);
        expect(items.map((item) => textOf(at(item, "title")))).toEqual(titles);
        // Updates are anchors in the article's page, not permalinks of their own.
        expect(items.slice(0, -1).map((item) => at(item, "guid", "@isPermaLink"))).toEqual(
          value.updates.map(() => "false"),
        );

        const entries = list(at(checkXml(atom), "feed", "entry"));
        expect(entries.map((entry) => textOf(at(entry, "id")))).toEqual(ids);
        expect(entries.map((entry) => decodeHtml(textOf(at(entry, "title"))))).toEqual(titles);
        // The story's entry is as new as its newest update.
        const newest = value.updates.at(-1);
        if (newest) {
          const storyUpdated = Date.parse(textOf(at(entries.at(-1), "updated")));
          expect(storyUpdated).toBeGreaterThanOrEqual(newest.updatedAt.getTime());
        }

        const jsonFeed: unknown = JSON.parse(json);
        expect(allStrings(jsonFeed).filter((s) => /\p{Cs}/u.test(s))).toEqual([]);
        const jsonItems = list(at(jsonFeed, "items"));
        expect(jsonItems.map((item) => at(item, "id"))).toEqual(ids);
        expect(jsonItems.map((item) => at(item, "title"))).toEqual(titles);
        const storyHtml = String(at(jsonItems.at(-1), "content_html"));
        expect(storyHtml.match(/<strong>Correction \(/g) ?? []).toHaveLength(notes);
        expect(storyHtml.startsWith("<p><strong>Correction (")).toBe(true);

        // Stable: the same story renders the same documents, ids included.
        expect(renderStory(structuredClone(value))).toEqual(renderStory(value));
      }),
      { numRuns: 150 },
    );
  });

  it("parse in a second XML parser (python3 expat) too", () => {
    const samples = fc.sample(developingStory, { numRuns: 20, seed: 20160721 });
    const documents = samples.map(renderStory).flatMap(({ rss, atom }) => [rss, atom]);
    const results = parseWithExpat(documents);
    expect(results).toHaveLength(documents.length);
    expect(results.filter((result) => !result.ok)).toEqual([]);
  });
});

// The second parser: expat (test/support/expat.ts), strict on characters and namespaces.
describe("feed documents through a second XML parser (python3 expat)", () => {
  it("parses every generated RSS and Atom document and reads the same RSS titles", () => {
    const samples = fc.sample(input, { numRuns: 25, seed: 20160720 });
    const rendered = samples.map(render);
    const documents = rendered.flatMap(({ rss, atom }) => [rss, atom]);
    const results = parseWithExpat(documents);
    expect(results.filter((result) => !result.ok)).toEqual([]);
    const rssTitles = results.filter((_, index) => index % 2 === 0).map((result) => result.title);
    expect(rssTitles).toEqual(samples.map(({ article }) => cleanText(article.headline)));
  });
});
