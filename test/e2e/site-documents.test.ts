/**
 * `/feeds.opml`, `/sitemap.xml`, `/news-sitemap.xml` and `/robots.txt` through the whole app on
 * both databases, with a settable clock for the news sitemap's 48-hour window.
 */
import { XMLParser, XMLValidator } from "fast-xml-parser";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DATABASE_KINDS } from "../support/databases.ts";
import { createTestApp, fixedClock, PUBLIC_URL, type TestApp } from "../support/test-app.ts";

const HOUR = 60 * 60 * 1000;
const START = new Date("2026-11-26T12:00:00Z");
const SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9";
const NEWS_NS = "http://www.google.com/schemas/sitemap-news/0.9";

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: "@",
  // Lists stay lists even with one member; text stays text (no number parsing).
  isArray: (name) => ["url", "outline"].includes(name),
  parseTagValue: false,
});

function parseXml(body: string) {
  expect(XMLValidator.validate(body)).toBe(true);
  return parser.parse(body);
}

type Outline = Record<string, string> & { outline?: Outline[] };

describe.each(DATABASE_KINDS)("site documents on %s", (kind) => {
  let t: TestApp;
  const clock = fixedClock(START);
  const ids: Record<string, string> = {};

  const push = async (name: string, headline: string, publishedAt: Date, feeds = ["world"]) => {
    const response = await t.admin("POST", "/admin/articles", {
      headline,
      bodyHtml: `<p>${name}</p>`,
      authors: [],
      image: null,
      tags: [],
      feeds,
      language: name === "gb" ? "en-GB" : "en",
      publishedAt: publishedAt.toISOString(),
    });
    expect(response.status).toBe(201);
    ids[name] = ((await response.json()) as { id: string }).id;
  };
  const ago = (hours: number) => new Date(START.getTime() - hours * HOUR);

  beforeAll(async () => {
    t = await createTestApp(kind, { clock });
    const created = await t.admin("POST", "/admin/feeds", {
      slug: "old-story",
      kind: "story",
      title: "An old story",
    });
    expect(created.status).toBe(201);
    expect((await t.admin("PATCH", "/admin/feeds/old-story", { status: "closed" })).status).toBe(
      200,
    );
    await push("recent", "Recent: talks resume", ago(47));
    await push("old", "Old: talks began", ago(49));
    await push("gb", 'Tom & Jerry ]]> <b>not bold</b> say "hi"', ago(1), [
      "world",
      "us-russia-syria",
    ]);
    await push("scheduled", "Scheduled: summit communique", new Date(START.getTime() + 2 * HOUR));
    await push("deleted", "Deleted: retracted story", ago(2));
    expect((await t.admin("DELETE", `/admin/articles/${ids.deleted}`)).status).toBe(204);
    // Control characters never get through the API; stored ones (an old import) must not break
    // the XML either.
    await push("control", "placeholder", ago(3));
    await t.database.db
      .updateTable("articles")
      .set({ headline: "Bell\u0007 and\u000b escape\u001b" })
      .where("id", "=", ids.control ?? "")
      .execute();
    t.deps.onExternalFeedChange("all");
  });
  afterAll(() => t.destroy());

  const get = (path: string, headers?: Record<string, string>) => t.get(path, headers);

  it("lists every open feed in each format as OPML, for one-click import", async () => {
    const response = await get("/feeds.opml");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/x-opml; charset=utf-8");
    const opml = parseXml(await response.text()).opml;
    expect(opml["@version"]).toBe("2.0");
    expect(opml.head.title).toMatch(/feeds$/);
    expect(Number.isNaN(Date.parse(opml.head.dateModified))).toBe(false);
    const folders = opml.body.outline as Outline[];
    expect(folders.map((folder) => folder["@text"])).toEqual(["RSS 2.0", "Atom", "JSON Feed"]);
    for (const [index, format] of ["rss", "atom", "json"].entries()) {
      const feeds = folders[index]?.outline ?? [];
      // One outline per open feed; the closed story is not offered.
      expect(feeds.map((feed) => feed["@xmlUrl"]).sort()).toEqual([
        `${PUBLIC_URL}/feeds/us-russia-syria.${format}`,
        `${PUBLIC_URL}/feeds/world.${format}`,
      ]);
      for (const feed of feeds) {
        expect(feed["@type"]).toBe("rss");
        expect(feed["@text"]).toBe(feed["@title"]);
        expect(feed["@htmlUrl"]).toBe(feed["@xmlUrl"]?.replace(/\/feeds\/(.*)\.\w+$/, "/$1"));
        expect(feed["@language"]).toBe("en");
      }
    }
    const world = folders[0]?.outline?.find((feed) => feed["@title"] === "World");
    expect(world?.["@version"]).toBe("RSS2");
    expect(world?.["@description"]).toMatch(/^International news/);
  });

  it("lists one format flat with ?format=, and names a bad format in problem+json", async () => {
    const opml = parseXml(await (await get("/feeds.opml?format=atom")).text()).opml;
    const outlines = opml.body.outline as Outline[];
    expect(outlines.map((feed) => feed["@xmlUrl"]).sort()).toEqual([
      `${PUBLIC_URL}/feeds/us-russia-syria.atom`,
      `${PUBLIC_URL}/feeds/world.atom`,
    ]);
    expect(outlines.every((feed) => feed.outline === undefined)).toBe(true);
    const bad = await get("/feeds.opml?format=rdf");
    expect(bad.status).toBe(422);
    expect(bad.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    const problem = (await bad.json()) as { errors: { pointer: string }[] };
    expect(problem.errors.map((error) => error.pointer)).toEqual(["/query/format"]);
  });

  it("keeps the OPML well-formed whatever a feed's title holds", async () => {
    const title = 'Q&A ]]> <live> "quoted"';
    const created = await t.admin("POST", "/admin/feeds", { slug: "q-and-a", title });
    expect(created.status).toBe(201);
    const opml = parseXml(await (await get("/feeds.opml?format=rss")).text()).opml;
    const outline = (opml.body.outline as Outline[]).find((feed) =>
      feed["@xmlUrl"]?.endsWith("/feeds/q-and-a.rss"),
    );
    expect(outline?.["@title"]).toBe(title);
    expect(outline?.["@text"]).toBe(outline?.["@title"]);
  });

  it("links the OPML from the front page", async () => {
    const html = await (await get("/", { accept: "text/html" })).text();
    expect(html).toContain('href="/feeds.opml"');
    expect(html).toContain(`<link rel="alternate" type="text/x-opml"`);
  });

  it("maps the front page, every feed page and the public articles only", async () => {
    const response = await get("/sitemap.xml");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/xml; charset=utf-8");
    const urlset = parseXml(await response.text()).urlset;
    expect(urlset["@xmlns"]).toBe(SITEMAP_NS);
    const urls = urlset.url as { loc: string; lastmod?: string }[];
    const locs = urls.map((url) => url.loc);
    expect(locs[0]).toBe(`${PUBLIC_URL}/`);
    // Every feed has a page, closed ones too.
    for (const slug of ["world", "us-russia-syria", "old-story", "q-and-a"]) {
      expect(locs).toContain(`${PUBLIC_URL}/${slug}`);
    }
    for (const name of ["recent", "old", "gb", "control"]) {
      expect(locs).toContain(`${PUBLIC_URL}/articles/${ids[name]}`);
    }
    for (const name of ["scheduled", "deleted"]) {
      expect(locs).not.toContain(`${PUBLIC_URL}/articles/${ids[name]}`);
    }
    expect(locs).toHaveLength(1 + 4 + 4);
    for (const url of urls) expect(Number.isNaN(Date.parse(url.lastmod ?? ""))).toBe(false);
  });

  const newsArticles = async () => {
    const response = await get("/news-sitemap.xml");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/xml; charset=utf-8");
    const urlset = parseXml(await response.text()).urlset;
    expect(urlset["@xmlns"]).toBe(SITEMAP_NS);
    expect(urlset["@xmlns:news"]).toBe(NEWS_NS);
    type NewsUrl = {
      loc: string;
      "news:news": {
        "news:publication": { "news:name": string; "news:language": string };
        "news:publication_date": string;
        "news:title": string;
      };
    };
    return ((urlset.url ?? []) as NewsUrl[]).map((url) => ({
      id: url.loc.slice(`${PUBLIC_URL}/articles/`.length),
      name: url["news:news"]["news:publication"]["news:name"],
      language: url["news:news"]["news:publication"]["news:language"],
      date: url["news:news"]["news:publication_date"],
      title: url["news:news"]["news:title"],
    }));
  };

  it("lists the last 48 hours' public articles in the news sitemap, XML-hostile titles intact", async () => {
    const news = await newsArticles();
    expect(news.map((item) => item.id)).toEqual([ids.gb, ids.control, ids.recent]);
    const gb = news[0];
    expect(gb?.title).toBe('Tom & Jerry ]]> <b>not bold</b> say "hi"');
    expect(gb?.language).toBe("en");
    expect(gb?.name).toBe(new URL(PUBLIC_URL).host);
    expect(gb?.date).toBe(ago(1).toISOString());
    // Characters XML cannot carry are dropped, the rest kept.
    expect(news[1]?.title).toBe("Bell and escape");
  });

  it("moves the news window and scheduled articles on with the clock, with no change announced", async () => {
    const before = (await get("/news-sitemap.xml")).headers.get("etag");
    clock.set(new Date(START.getTime() + 2 * HOUR + 1000));
    const news = await newsArticles();
    // `recent` is now 49 hours old; the scheduled article is out.
    expect(news.map((item) => item.id)).toEqual([ids.scheduled, ids.gb, ids.control]);
    expect((await get("/news-sitemap.xml")).headers.get("etag")).not.toBe(before);
    const sitemap = await (await get("/sitemap.xml")).text();
    expect(sitemap).toContain(`${PUBLIC_URL}/articles/${ids.scheduled}`);
  });

  it("revalidates with ETag (304), and a publish changes every document's ETag", async () => {
    const paths = ["/feeds.opml", "/sitemap.xml", "/news-sitemap.xml"];
    const etags = new Map<string, string>();
    for (const path of paths) {
      const first = await get(path);
      const etag = first.headers.get("etag") ?? "";
      expect(etag).toMatch(/^"[\w-]+"$/);
      expect(first.headers.get("last-modified")).toBeTruthy();
      expect(first.headers.get("cache-control")).toMatch(/max-age=\d+/);
      const again = await get(path, { "if-none-match": etag });
      expect(again.status).toBe(304);
      expect(await again.text()).toBe("");
      etags.set(path, etag);
    }
    await push("fresh", "Fresh: ceasefire agreed", clock.now());
    await t.admin("POST", "/admin/feeds", { slug: "new-story", kind: "story", title: "New" });
    for (const path of paths) {
      const after = await get(path, { "if-none-match": etags.get(path) ?? "" });
      expect(after.status).toBe(200);
    }
    expect(await (await get("/news-sitemap.xml")).text()).toContain(ids.fresh);
    expect(await (await get("/feeds.opml")).text()).toContain("/feeds/new-story.rss");
  });

  it("serves compressed copies of the same bytes", async () => {
    const plain = await (await get("/sitemap.xml")).text();
    const gzipped = await get("/sitemap.xml", { "accept-encoding": "gzip" });
    expect(gzipped.headers.get("content-encoding")).toBe("gzip");
    const { gunzipSync } = await import("node:zlib");
    expect(gunzipSync(Buffer.from(await gzipped.arrayBuffer())).toString("utf8")).toBe(plain);
  });

  it("names both sitemaps in robots.txt and keeps crawlers out of the admin API", async () => {
    const response = await get("/robots.txt");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/plain; charset=utf-8");
    const lines = (await response.text()).split("\n");
    expect(lines).toContain(`Sitemap: ${PUBLIC_URL}/sitemap.xml`);
    expect(lines).toContain(`Sitemap: ${PUBLIC_URL}/news-sitemap.xml`);
    expect(lines).toContain("Disallow: /admin/");
    expect(lines[0]).toBe("User-agent: *");
  });
});
