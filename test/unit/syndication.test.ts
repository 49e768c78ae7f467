import { XMLParser, XMLValidator } from "fast-xml-parser";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Article } from "../../src/domain/article.ts";
import type { Feed } from "../../src/domain/feed.ts";
import { renderFeedDocuments } from "../../src/syndication/render-feed-documents.ts";
import {
  FIXTURE_ARTICLE_ID,
  FIXTURE_PUBLIC_URL,
  fixtureFeed,
  fixtureStory,
} from "../support/fixture-story.ts";

const ARTICLE_URL = `${FIXTURE_PUBLIC_URL}/articles/${FIXTURE_ARTICLE_ID}`;
const FEED_PAGE = `${FIXTURE_PUBLIC_URL}/us-russia-syria`;

const REPEATED = new Set(["item", "entry", "category", "dc:creator", "author", "link"]);
const xmlParser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: "@",
  // Compare text exactly: no trimming, no number parsing, character references decoded.
  trimValues: false,
  parseTagValue: false,
  htmlEntities: true,
  isArray: (name) => REPEATED.has(name),
});

/**
 * With `trimValues: false` the indentation between child elements shows up as `#text`; drop it
 * where an element has child elements, keep all other text exactly.
 */
function withoutIndentation(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withoutIndentation);
  if (node === null || typeof node !== "object") return node;
  const entries = Object.entries(node);
  const hasChildElements = entries.some(([key]) => !key.startsWith("@") && key !== "#text");
  return Object.fromEntries(
    entries
      .filter(
        ([key, value]) => !(hasChildElements && key === "#text" && /^\s*$/.test(String(value))),
      )
      .map(([key, value]) => [key, withoutIndentation(value)]),
  );
}

function parseXml(doc: string): unknown {
  expect(XMLValidator.validate(doc)).toBe(true);
  return withoutIndentation(xmlParser.parse(doc));
}

/** Walks parsed XML/JSON by keys and indexes; `undefined` when a step is missing. */
function at(node: unknown, ...path: (string | number)[]): unknown {
  let current = node;
  for (const key of path) {
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<string | number, unknown>)[key];
  }
  return current;
}

/** Element text, whether the parser gave a bare string or an object with attributes. */
function textOf(node: unknown): string | undefined {
  if (typeof node === "string") return node;
  const text = at(node, "#text");
  return typeof text === "string" ? text : node === undefined ? undefined : "";
}

function list(node: unknown): unknown[] {
  return Array.isArray(node) ? node : [];
}

const story = fixtureStory();
const feed = fixtureFeed();

/** A second, newer article exercising what the fixture does not. */
const update: Article = {
  ...story,
  id: "0191c8a2-7a3e-7cc1-9d3e-000000000002",
  headline: "Kerry & Lavrov agree <next> steps",
  standfirst: "Talks continue in Geneva.",
  authors: [{ name: "Jane Doe", url: "https://news.example/authors/jane" }, { name: "Wire staff" }],
  image: { url: "https://cdn.example/photos/geneva.PNG?w=800&h=600", alt: "Geneva talks" },
  tags: ["Diplomacy"],
  canonicalUrl: "https://wire.example/story/123?src=tidings&v=2",
  publishedAt: new Date("2016-07-21T08:00:00.000Z"),
  updatedAt: new Date("2016-07-21T10:30:00.000Z"),
};

function render(articles: readonly Article[], feedOverride: Partial<Feed> = {}) {
  return renderFeedDocuments({
    feed: { ...feed, ...feedOverride },
    articles,
    publicUrl: FIXTURE_PUBLIC_URL,
  });
}

describe("RSS 2.0", () => {
  const { rss } = render([update, story]);
  const root = parseXml(rss);
  const channel = at(root, "rss", "channel");
  const items = list(at(channel, "item"));
  const [first, second] = items;

  it("declares the namespaces it uses", () => {
    expect(at(root, "rss", "@version")).toBe("2.0");
    expect(at(root, "rss", "@xmlns:dc")).toBe("http://purl.org/dc/elements/1.1/");
    expect(at(root, "rss", "@xmlns:content")).toBe("http://purl.org/rss/1.0/modules/content/");
    expect(at(root, "rss", "@xmlns:atom")).toBe("http://www.w3.org/2005/Atom");
    expect(at(root, "rss", "@xmlns:media")).toBe("http://search.yahoo.com/mrss/");
  });

  it("describes the channel with a self link and the feed's date", () => {
    expect(textOf(at(channel, "title"))).toBe("US, Russia and Syria");
    expect(at(channel, "link")).toEqual([FEED_PAGE]);
    expect(at(channel, "language")).toBe("en-GB");
    expect(at(channel, "lastBuildDate")).toBe("Thu, 21 Jul 2016 10:30:00 GMT");
    expect(at(channel, "atom:link")).toEqual([
      {
        "@href": `${FIXTURE_PUBLIC_URL}/feeds/us-russia-syria.rss`,
        "@rel": "self",
        "@type": "application/rss+xml",
      },
      // WebSub discovery: the hub that pushes this document.
      { "@href": `${FIXTURE_PUBLIC_URL}/websub`, "@rel": "hub" },
    ]);
  });

  it("gives each item a permalink guid, its link, dates and plain-text title", () => {
    expect(items).toHaveLength(2);
    expect(textOf(at(first, "title"))).toBe("Kerry & Lavrov agree <next> steps");
    expect(at(first, "guid")).toEqual({
      "#text": `${FIXTURE_PUBLIC_URL}/articles/0191c8a2-7a3e-7cc1-9d3e-000000000002`,
      "@isPermaLink": "true",
    });
    expect(at(first, "link")).toEqual(["https://wire.example/story/123?src=tidings&v=2"]);
    expect(at(first, "pubDate")).toBe("Thu, 21 Jul 2016 08:00:00 GMT");
    expect(at(second, "guid", "#text")).toBe(ARTICLE_URL);
    expect(at(second, "link")).toEqual([ARTICLE_URL]);
    expect(at(second, "pubDate")).toBe("Wed, 20 Jul 2016 00:00:00 GMT");
  });

  it("credits authors with dc:creator, never an email-less <author>", () => {
    expect(at(first, "dc:creator")).toEqual(["Jane Doe", "Wire staff"]);
    expect(at(second, "dc:creator")).toEqual(["World desk"]);
    expect(at(first, "author")).toBeUndefined();
    expect(rss).not.toContain("<author>");
  });

  it("lists tags as categories", () => {
    expect(at(first, "category")).toEqual(["Diplomacy"]);
    expect(at(second, "category")).toEqual([
      "Syria",
      "Russia",
      "United States",
      "John Kerry",
      "Sergei Lavrov",
    ]);
  });

  it("carries the summary as escaped HTML and the full content with the lead image", () => {
    expect(at(first, "description")).toBe("Talks continue in Geneva.");
    expect(at(second, "description")).toMatch(/^US Secretary of State John Kerry says .*…$/);
    const content = at(second, "content:encoded");
    expect(typeof content).toBe("string");
    expect(String(content)).toMatch(
      /^<figure><img src="https:\/\/news\.example\/media\/assad\.jpg" alt="Bashar al-Assad [^"]*" \/><figcaption>Syria's President .* — REUTERS\/SANA\/Handout via Reuters<\/figcaption><\/figure><p>US Secretary/,
    );
  });

  it("gives the lead image as media:content with a registered MIME type and no length", () => {
    expect(at(second, "media:content")).toEqual({
      "@url": "https://news.example/media/assad.jpg",
      "@type": "image/jpeg",
      "@medium": "image",
      "media:description": {
        "#text": "Bashar al-Assad answering questions during a television interview in Damascus",
        "@type": "plain",
      },
      "media:credit": "REUTERS/SANA/Handout via Reuters",
    });
    expect(at(first, "media:content", "@type")).toBe("image/png");
    expect(at(first, "media:content", "@url")).toBe(
      "https://cdn.example/photos/geneva.PNG?w=800&h=600",
    );
    expect(at(first, "enclosure")).toBeUndefined();
    expect(rss).not.toContain("image/jpg");
  });

  it("uses no CDATA sections", () => {
    expect(rss).not.toContain("<![CDATA[");
  });
});

describe("Atom 1.0", () => {
  const { atom } = render([update, story]);
  const root = parseXml(atom);
  const feedNode = at(root, "feed");
  const entries = list(at(feedNode, "entry"));
  const [first, second] = entries;

  it("identifies the feed, its language, date, links and a fallback author", () => {
    expect(at(feedNode, "@xmlns")).toBe("http://www.w3.org/2005/Atom");
    expect(at(feedNode, "@xml:lang")).toBe("en-GB");
    expect(at(feedNode, "id")).toBe(FEED_PAGE);
    expect(at(feedNode, "title")).toBe("US, Russia and Syria");
    expect(at(feedNode, "updated")).toBe("2016-07-21T10:30:00.000Z");
    expect(at(feedNode, "link")).toEqual([
      { "@rel": "alternate", "@href": FEED_PAGE },
      { "@rel": "self", "@href": `${FIXTURE_PUBLIC_URL}/feeds/us-russia-syria.atom` },
      { "@rel": "hub", "@href": `${FIXTURE_PUBLIC_URL}/websub` },
    ]);
    expect(at(feedNode, "author")).toEqual([{ name: "US, Russia and Syria", uri: FEED_PAGE }]);
  });

  it("gives each entry a stable id, dates and an explicit alternate link", () => {
    expect(at(first, "id")).toBe(
      `${FIXTURE_PUBLIC_URL}/articles/0191c8a2-7a3e-7cc1-9d3e-000000000002`,
    );
    expect(at(first, "published")).toBe("2016-07-21T08:00:00.000Z");
    expect(at(first, "updated")).toBe("2016-07-21T10:30:00.000Z");
    expect(at(first, "link", 0)).toEqual({
      "@rel": "alternate",
      "@href": "https://wire.example/story/123?src=tidings&v=2",
    });
    expect(at(second, "id")).toBe(ARTICLE_URL);
    expect(at(second, "link", 0)).toEqual({ "@rel": "alternate", "@href": ARTICLE_URL });
  });

  it("HTML-escapes the plain-text title and summary it declares as html", () => {
    expect(at(first, "title")).toEqual({
      "#text": "Kerry &amp; Lavrov agree &lt;next&gt; steps",
      "@type": "html",
    });
    expect(at(first, "summary")).toEqual({ "#text": "Talks continue in Geneva.", "@type": "html" });
    expect(at(second, "content", "@type")).toBe("html");
    expect(String(at(second, "content", "#text"))).toMatch(/^<figure><img src="https:\/\/news/);
  });

  it("names authors with their uri when known", () => {
    expect(at(first, "author")).toEqual([
      { name: "Jane Doe", uri: "https://news.example/authors/jane" },
      { name: "Wire staff" },
    ]);
    expect(at(second, "author")).toEqual([
      { name: "World desk", uri: "https://news.example/authors/world-desk" },
    ]);
  });

  it("writes every category with a term", () => {
    expect(at(first, "category")).toEqual([{ "@term": "Diplomacy" }]);
    expect(list(at(second, "category")).map((category) => at(category, "@term"))).toEqual(
      story.tags,
    );
  });

  it("links the lead image as an enclosure with a registered MIME type", () => {
    expect(at(second, "link", 1)).toEqual({
      "@rel": "enclosure",
      "@href": "https://news.example/media/assad.jpg",
      "@title": "Bashar al-Assad answering questions during a television interview in Damascus",
      "@type": "image/jpeg",
    });
    expect(at(first, "link", 1, "@type")).toBe("image/png");
    expect(atom).not.toContain("image/jpg");
  });
});

describe("JSON Feed 1.1", () => {
  const { json } = render([update, story], { status: "closed" });
  const document: unknown = JSON.parse(json);
  const [first, second] = list(at(document, "items"));

  it("describes the feed", () => {
    expect(at(document, "version")).toBe("https://jsonfeed.org/version/1.1");
    expect(at(document, "title")).toBe("US, Russia and Syria");
    expect(at(document, "home_page_url")).toBe(FEED_PAGE);
    expect(at(document, "feed_url")).toBe(`${FIXTURE_PUBLIC_URL}/feeds/us-russia-syria.json`);
    expect(at(document, "language")).toBe("en-GB");
    expect(at(document, "authors")).toEqual([{ name: "US, Russia and Syria", url: FEED_PAGE }]);
    expect(at(document, "icon")).toBe(`${FIXTURE_PUBLIC_URL}/media/feeds/us-russia-syria.png`);
    expect(at(document, "expired")).toBe(true);
    expect(at(document, "author")).toBeUndefined();
  });

  it("describes items with the 1.1 fields", () => {
    expect(first).toMatchObject({
      id: `${FIXTURE_PUBLIC_URL}/articles/0191c8a2-7a3e-7cc1-9d3e-000000000002`,
      url: `${FIXTURE_PUBLIC_URL}/articles/0191c8a2-7a3e-7cc1-9d3e-000000000002`,
      external_url: "https://wire.example/story/123?src=tidings&v=2",
      title: "Kerry & Lavrov agree <next> steps",
      summary: "Talks continue in Geneva.",
      image: "https://cdn.example/photos/geneva.PNG?w=800&h=600",
      date_published: "2016-07-21T08:00:00.000Z",
      date_modified: "2016-07-21T10:30:00.000Z",
      authors: [
        { name: "Jane Doe", url: "https://news.example/authors/jane" },
        { name: "Wire staff" },
      ],
      tags: ["Diplomacy"],
      language: "en-GB",
    });
    expect(at(first, "author")).toBeUndefined();
    expect(at(second, "id")).toBe(ARTICLE_URL);
    expect(at(second, "url")).toBe(ARTICLE_URL);
    expect(at(second, "external_url")).toBeUndefined();
    expect(at(second, "image")).toBe("https://news.example/media/assad.jpg");
    expect(String(at(second, "content_html"))).toMatch(/^<figure><img src=/);
  });

  it("leaves out `expired` while the feed is open", () => {
    expect(at(JSON.parse(render([story]).json), "expired")).toBeUndefined();
  });
});

describe("dates and determinism", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("renders byte-identical documents for equal input, whatever the clock says", () => {
    vi.useFakeTimers();
    vi.setSystemTime(new Date("2030-01-01T00:00:00Z"));
    const once = render([update, story]);
    vi.setSystemTime(new Date("2031-06-15T12:34:56Z"));
    const twice = render([structuredClone(update), structuredClone(story)]);
    expect(twice.rss).toBe(once.rss);
    expect(twice.atom).toBe(once.atom);
    expect(twice.json).toBe(once.json);
    expect(twice.updated).toEqual(once.updated);
  });

  it("dates the feed by its newest article, not by now", () => {
    expect(render([update, story]).updated).toEqual(new Date("2016-07-21T10:30:00.000Z"));
    expect(render([story]).updated).toEqual(new Date("2016-07-20T00:00:00.000Z"));
  });

  it("dates the feed by the feed itself when that is newer (e.g. a title change)", () => {
    const updatedAt = new Date("2016-08-01T00:00:00.000Z");
    const { updated, atom } = render([story], { updatedAt });
    expect(updated).toEqual(updatedAt);
    expect(at(parseXml(atom), "feed", "updated")).toBe("2016-08-01T00:00:00.000Z");
  });

  it("counts a scheduled article's publication as its latest change", () => {
    const scheduled = { ...story, publishedAt: new Date("2016-07-22T06:00:00.000Z") };
    const { updated, atom, json } = render([scheduled]);
    expect(updated).toEqual(scheduled.publishedAt);
    expect(at(parseXml(atom), "feed", "entry", 0, "updated")).toBe("2016-07-22T06:00:00.000Z");
    expect(at(JSON.parse(json), "items", 0, "date_modified")).toBe("2016-07-22T06:00:00.000Z");
  });

  it("renders an empty feed, dated by the feed", () => {
    const { rss, atom, json, updated } = render([]);
    expect(updated).toEqual(feed.updatedAt);
    expect(at(parseXml(rss), "rss", "channel", "item")).toBeUndefined();
    expect(at(parseXml(atom), "feed", "entry")).toBeUndefined();
    expect(at(JSON.parse(json), "items")).toEqual([]);
  });
});

describe("unusable input", () => {
  it("drops malformed or non-web URLs instead of throwing", () => {
    const broken: Article = {
      ...story,
      canonicalUrl: "not a url",
      image: { url: "javascript:alert(1)", alt: "x" },
      authors: [{ name: "Someone", url: "http://[broken" }],
    };
    const { rss, atom, json } = render([broken]);
    const item = at(parseXml(rss), "rss", "channel", "item", 0);
    expect(at(item, "link")).toEqual([ARTICLE_URL]);
    expect(at(item, "media:content")).toBeUndefined();
    expect(at(parseXml(atom), "feed", "entry", 0, "author")).toEqual([{ name: "Someone" }]);
    expect(at(JSON.parse(json), "items", 0, "image")).toBeUndefined();
  });

  it("leaves out the MIME type of an image whose URL does not tell", () => {
    const { rss, atom } = render([
      { ...story, image: { url: "https://cdn.example/image/12345", alt: "x" } },
    ]);
    const media = at(parseXml(rss), "rss", "channel", "item", 0, "media:content");
    expect(at(media, "@url")).toBe("https://cdn.example/image/12345");
    expect(at(media, "@type")).toBeUndefined();
    expect(at(parseXml(atom), "feed", "entry", 0, "link", 1)).toEqual({
      "@rel": "enclosure",
      "@href": "https://cdn.example/image/12345",
      "@title": "x",
    });
  });

  it("keeps hostile text intact but harmless in every format", () => {
    const headline = 'A ]]> B ]]> <b>"C"</b> & &amp; \u0008\uD800 \u00010\u0002 end\r\n';
    const hostile: Article = {
      ...story,
      headline,
      tags: ["a<b", 'q"t', "x]]>y"],
      authors: [{ name: "<script>alert(1)</script>" }],
      image: { url: "https://cdn.example/a.jpg", alt: 'alt "with" <quotes> &' },
    };
    const cleaned = 'A ]]> B ]]> <b>"C"</b> & &amp; \uFFFD 0 end\r\n';
    const { rss, atom, json } = render([hostile]);

    const item = at(parseXml(rss), "rss", "channel", "item", 0);
    expect(textOf(at(item, "title"))).toBe(cleaned);
    expect(at(item, "category")).toEqual(["a<b", 'q"t', "x]]>y"]);
    expect(at(item, "dc:creator")).toEqual(["<script>alert(1)</script>"]);
    expect(at(item, "media:content", "media:description", "#text")).toBe('alt "with" <quotes> &');

    const entry = at(parseXml(atom), "feed", "entry", 0);
    expect(at(entry, "title", "#text")).toBe(
      'A ]]&gt; B ]]&gt; &lt;b&gt;"C"&lt;/b&gt; &amp; &amp;amp; \uFFFD 0 end\r\n',
    );
    expect(list(at(entry, "category")).map((category) => at(category, "@term"))).toEqual([
      "a<b",
      'q"t',
      "x]]>y",
    ]);
    expect(at(entry, "link", 1, "@title")).toBe('alt "with" <quotes> &');

    expect(at(JSON.parse(json), "items", 0, "title")).toBe(cleaned);
  });
});

describe("fixture story snapshots", () => {
  const documents = render([story]);

  it("pins the RSS document", async () => {
    await expect(documents.rss).toMatchFileSnapshot("./__snapshots__/fixture-story.rss");
  });

  it("pins the Atom document", async () => {
    await expect(documents.atom).toMatchFileSnapshot("./__snapshots__/fixture-story.atom");
  });

  it("pins the JSON Feed document", async () => {
    await expect(documents.json).toMatchFileSnapshot("./__snapshots__/fixture-story.json");
  });

  it("gives browsers the same RSS and Atom plus the XHTML preview script, readers none", () => {
    const script =
      /\s*<script xmlns="http:\/\/www\.w3\.org\/1999\/xhtml" src="\/assets\/feed-preview\.js" defer="defer"><\/script>/;
    for (const [reader, browser, close] of [
      [documents.rss, documents.browser.rss, "channel"],
      [documents.atom, documents.browser.atom, "feed"],
    ] as const) {
      expect(reader).not.toContain("http://www.w3.org/1999/xhtml");
      expect(reader).toContain('<?xml-stylesheet type="text/xsl" href="/assets/feed.xsl"?>');
      expect(browser).toMatch(new RegExp(`${script.source}\\s*</${close}>`));
      expect(browser.replace(script, "")).toBe(reader);
    }
  });
});
