/**
 * Archived feeds (RFC 5005) through the app, on both databases: a feed of 230 articles in pages
 * of 50, walked from the feed document down `prev-archive` (JSON Feed: `next_url`) in every
 * format; fixed page boundaries, `immutable` full pages, and what edits and deletes change.
 */
import { XMLParser, XMLValidator } from "fast-xml-parser";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Article } from "../../src/domain/article.ts";
import { seedArticles } from "../support/archive-seed.ts";
import { DATABASE_KINDS } from "../support/databases.ts";
import { parseWithExpat } from "../support/expat.ts";
import type { Format } from "../support/feed-items.ts";
import { createTestApp, fixedClock, PUBLIC_URL, type TestApp } from "../support/test-app.ts";

const FORMATS: readonly Format[] = ["rss", "atom", "json"];
const FEED = "world";
const IMMUTABLE = "public, max-age=31536000, immutable";
const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: "@" });

type Json = Record<string, unknown>;
const asList = <T>(value: T | T[] | undefined): T[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

/** What a walk needs of one document, whatever its format. */
interface Page {
  readonly path: string;
  readonly status: number;
  readonly body: string;
  readonly etag: string | null;
  readonly cacheControl: string | null;
  /** Item ids (RSS guid, Atom id, JSON Feed id), in document order. */
  readonly ids: string[];
  readonly archive: boolean;
  readonly links: Record<string, string | undefined>;
}

function readDocument(
  format: Format,
  body: string,
): Omit<Page, "path" | "status" | "etag" | "cacheControl" | "body"> {
  if (format === "json") {
    const doc = JSON.parse(body) as Json & { items: { id: string }[]; _archive?: Json };
    const extension = doc._archive ?? {};
    return {
      ids: doc.items.map((item) => item.id),
      archive: extension.archive === true,
      links: {
        self: doc.feed_url as string,
        "prev-archive": doc.next_url as string | undefined,
        "next-archive": extension.next_archive as string | undefined,
        current: extension.current as string | undefined,
        hub: (doc.hubs as { url: string }[] | undefined)?.[0]?.url,
      },
    };
  }
  expect(XMLValidator.validate(body)).toBe(true);
  const doc = parser.parse(body);
  const root = format === "rss" ? doc.rss.channel : doc.feed;
  const links = asList<{ "@rel"?: string; "@href": string }>(
    format === "rss" ? root["atom:link"] : root.link,
  );
  const ids =
    format === "rss"
      ? asList<{ guid: { "#text": string } }>(root.item).map((item) => item.guid["#text"])
      : asList<{ id: string }>(root.entry).map((entry) => entry.id);
  return {
    ids,
    archive: "fh:archive" in root,
    links: Object.fromEntries(links.map((link) => [link["@rel"] ?? "alternate", link["@href"]])),
  };
}

describe.each(DATABASE_KINDS)("archived feeds on %s", (kind) => {
  let t: TestApp;
  const clock = fixedClock(new Date("2026-12-01T12:00:00Z"));
  /** The seeded articles, newest first. */
  let seeded: Article[] = [];

  beforeAll(async () => {
    t = await createTestApp(kind, { clock, config: { feedArchivePageSize: 50 } });
    seeded = await seedArticles(t.database.db, FEED, 230, new Date("2026-11-20T00:00:00Z"));
  });
  afterAll(() => t.destroy());

  const fetchPage = async (
    path: string,
    headers: Record<string, string> = {},
  ): Promise<Page & { format: Format }> => {
    const format = path.slice(path.lastIndexOf(".") + 1) as Format;
    const response = await t.get(path, headers);
    const body = await response.text();
    return {
      format,
      path,
      status: response.status,
      body,
      etag: response.headers.get("etag"),
      cacheControl: response.headers.get("cache-control"),
      ...(response.status === 200
        ? readDocument(format, body)
        : { ids: [], archive: false, links: {} }),
    };
  };
  const local = (url: string) => {
    expect(url.startsWith(`${PUBLIC_URL}/`)).toBe(true);
    return url.slice(PUBLIC_URL.length);
  };

  /** The feed document, then every page down `prev-archive`, newest first. */
  const walk = async (format: Format) => {
    const feed = await fetchPage(`/feeds/${FEED}.${format}`);
    const pages: Page[] = [];
    let next = feed.links["prev-archive"];
    while (next !== undefined && pages.length < 20) {
      const page = await fetchPage(local(next));
      expect(page.status, page.path).toBe(200);
      pages.push(page);
      next = page.links["prev-archive"];
    }
    return { feed, pages };
  };
  const urlOf = (article: Article) => `${PUBLIC_URL}/articles/${article.id}`;

  it.each(FORMATS)(
    "walking prev-archive from the %s feed visits every article once, newest first",
    async (format) => {
      const { feed, pages } = await walk(format);
      expect(feed.archive).toBe(false);
      expect(feed.links["prev-archive"]).toBe(`${PUBLIC_URL}/feeds/${FEED}/archive/5.${format}`);
      expect(pages.map((page) => page.path)).toEqual(
        [5, 4, 3, 2, 1].map((n) => `/feeds/${FEED}/archive/${n}.${format}`),
      );
      expect(pages.flatMap((page) => page.ids)).toEqual(seeded.map(urlOf));
      // Fixed boundaries: page n holds articles (n-1)*50+1 .. n*50 (oldest first); 5 the last 30.
      expect(pages.map((page) => page.ids.length)).toEqual([30, 50, 50, 50, 50]);
      if (format !== "json") {
        // The strict second parser: namespaces right, fh:archive and the links where readers look.
        const strict = parseWithExpat([feed.body, ...pages.map((page) => page.body)]);
        expect(strict.filter((result) => !result.ok)).toEqual([]);
        expect(strict.map((result) => result.archive)).toEqual([
          false,
          true,
          true,
          true,
          true,
          true,
        ]);
        expect(strict[0]?.rels).toContain("prev-archive");
        expect(strict[1]?.rels).toEqual(
          expect.arrayContaining(["current", "prev-archive", "self"]),
        );
        expect(strict[2]?.rels).toEqual(expect.arrayContaining(["next-archive", "prev-archive"]));
      }
      for (const [index, page] of pages.entries()) {
        const number = 5 - index;
        expect(page.archive, page.path).toBe(true);
        expect(page.links.self).toBe(`${PUBLIC_URL}${page.path}`);
        expect(page.links.current).toBe(`${PUBLIC_URL}/feeds/${FEED}.${format}`);
        // The newest page is still filling: no newer page yet. Full ones link the next.
        expect(page.links["next-archive"]).toBe(
          number === 5 ? undefined : `${PUBLIC_URL}/feeds/${FEED}/archive/${number + 1}.${format}`,
        );
        // Archive pages are no WebSub topics.
        expect(page.links.hub).toBeUndefined();
      }
    },
  );

  it("serves full pages immutable with strong ETags, the filling page as feeds are, 304 on both", async () => {
    for (const format of FORMATS) {
      const full = await fetchPage(`/feeds/${FEED}/archive/2.${format}`);
      expect(full.cacheControl).toBe(IMMUTABLE);
      expect(full.etag).toMatch(/^"[\w-]+"$/);
      const filling = await fetchPage(`/feeds/${FEED}/archive/5.${format}`);
      expect(filling.cacheControl).toBe("public, max-age=60, stale-while-revalidate=300");
      for (const page of [full, filling]) {
        const again = await t.get(page.path, { "if-none-match": page.etag ?? "" });
        expect(again.status).toBe(304);
        expect(await again.text()).toBe("");
        const head = await t.app.request(page.path, { method: "HEAD" });
        expect(head.status).toBe(200);
        expect(head.headers.get("etag")).toBe(page.etag);
      }
    }
  });

  it("browsers get the preview script on archive pages too; readers and validators do not", async () => {
    const reader = await fetchPage(`/feeds/${FEED}/archive/1.rss`);
    const browser = await t.get(`/feeds/${FEED}/archive/1.rss`, { accept: "text/html" });
    expect(reader.body).not.toContain("<script");
    expect(await browser.text()).toContain("feed-preview.js");
    expect(browser.headers.get("etag")).not.toBe(reader.etag);
  });

  it("the feed's page links the archive's first page, where the story begins", async () => {
    const page = await (await t.get(`/${FEED}`, { accept: "text/html" })).text();
    for (const format of FORMATS) {
      expect(page).toContain(`href="${PUBLIC_URL}/feeds/${FEED}/archive/1.${format}"`);
    }
    const first = await fetchPage(`/feeds/${FEED}/archive/1.json`);
    expect(first.ids.at(-1)).toBe(urlOf(seeded.at(-1) as Article));
  });

  it("answers pages that do not exist, and malformed ones, with 404 problems", async () => {
    for (const path of [
      `/feeds/${FEED}/archive/6.rss`,
      `/feeds/${FEED}/archive/0.atom`,
      `/feeds/${FEED}/archive/01.json`,
      `/feeds/${FEED}/archive/1.xml`,
      `/feeds/no-such-feed/archive/1.rss`,
      // The story feed has no article yet: no archive at all.
      `/feeds/us-russia-syria/archive/1.rss`,
    ]) {
      const response = await t.get(path);
      expect(response.status, path).toBe(404);
      expect(response.headers.get("content-type"), path).toBe("application/problem+json");
    }
    const story = await fetchPage("/feeds/us-russia-syria.rss");
    expect(story.links["prev-archive"]).toBeUndefined();
  });

  it("a full page's bytes and ETag stay the same across a publish; the filling page takes it", async () => {
    const before = new Map<string, Page>();
    for (const format of FORMATS) {
      for (const n of [1, 4, 5]) {
        const page = await fetchPage(`/feeds/${FEED}/archive/${n}.${format}`);
        before.set(page.path, page);
      }
    }
    clock.advance(60_000);
    const push = await t.admin("POST", "/admin/articles", {
      headline: "Story 231",
      bodyHtml: "<p>The newest.</p>",
      feeds: [FEED],
      publishedAt: clock.now().toISOString(),
    });
    expect(push.status).toBe(201);
    const { id } = (await push.json()) as { id: string };
    for (const format of FORMATS) {
      for (const n of [1, 4]) {
        const path = `/feeds/${FEED}/archive/${n}.${format}`;
        const now = await fetchPage(path);
        expect(now.body, path).toBe(before.get(path)?.body);
        expect(now.etag, path).toBe(before.get(path)?.etag);
      }
      const filling = await fetchPage(`/feeds/${FEED}/archive/5.${format}`);
      expect(filling.ids[0]).toBe(`${PUBLIC_URL}/articles/${id}`);
      expect(filling.ids).toHaveLength(31);
      expect(filling.etag).not.toBe(before.get(filling.path)?.etag);
    }
  });

  it("editing an article changes its page only; deleting one leaves its place empty, later pages unchanged", async () => {
    const read = async () => {
      const pages = new Map<string, Page>();
      for (const format of FORMATS) {
        for (const n of [1, 2, 3, 4, 5]) {
          const page = await fetchPage(`/feeds/${FEED}/archive/${n}.${format}`);
          pages.set(page.path, page);
        }
      }
      return pages;
    };
    // Story 60 is on page 2 (51..100); story 130 on page 3.
    const onPage2 = seeded.find((article) => article.headline === "Story 60");
    const onPage3 = seeded.find((article) => article.headline === "Story 130");
    const before = await read();
    clock.advance(60_000);
    const edit = await t.admin("PATCH", `/admin/articles/${onPage2?.id}`, {
      headline: "Story 60, revised",
    });
    expect(edit.status).toBe(200);
    const edited = await read();
    for (const [path, page] of edited) {
      const changed = path.includes("/archive/2.");
      expect(page.etag === before.get(path)?.etag, path).toBe(!changed);
      if (changed) expect(page.body).toContain("Story 60, revised");
    }

    const removal = await t.admin("DELETE", `/admin/articles/${onPage3?.id}`);
    expect(removal.status).toBeLessThan(300);
    const deleted = await read();
    for (const [path, page] of deleted) {
      const changed = path.includes("/archive/3.");
      expect(page.etag === edited.get(path)?.etag, path).toBe(!changed);
      if (changed) {
        expect(page.ids).toHaveLength(49);
        expect(page.ids).not.toContain(`${PUBLIC_URL}/articles/${onPage3?.id}`);
        // Still full: a deleted article keeps its place, so the page stays immutable.
        expect(page.cacheControl).toBe(IMMUTABLE);
      }
    }
  });

  it("an embargoed article is on no page until its time, then on the newest", async () => {
    const release = new Date(clock.now().getTime() + 3_600_000);
    const push = await t.admin("POST", "/admin/articles", {
      headline: "Embargoed story",
      bodyHtml: "<p>Not yet.</p>",
      feeds: [FEED],
      publishedAt: release.toISOString(),
    });
    expect(push.status).toBe(201);
    const { id } = (await push.json()) as { id: string };
    for (const format of FORMATS) {
      const { pages } = await walk(format);
      expect(pages.flatMap((page) => page.ids)).not.toContain(`${PUBLIC_URL}/articles/${id}`);
      expect(pages.some((page) => page.body.includes("Embargoed story"))).toBe(false);
    }
    clock.set(new Date(release.getTime() + 1_000));
    for (const format of FORMATS) {
      const { pages } = await walk(format);
      expect(pages[0]?.ids[0]).toBe(`${PUBLIC_URL}/articles/${id}`);
      expect(pages.flatMap((page) => page.ids).filter((item) => item.endsWith(id))).toHaveLength(1);
    }
  });
});
