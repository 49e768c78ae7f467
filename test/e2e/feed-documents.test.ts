import { brotliDecompressSync, gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ArticleOutput } from "../../src/schemas/article.schema.ts";
import { DATABASE_KINDS } from "../support/databases.ts";
import { CONTENT_TYPES, type Format, titles } from "../support/feed-items.ts";
import { fixtureStoryPush } from "../support/fixture-push.ts";
import { createTestApp, fixedClock, PUBLIC_URL, type TestApp } from "../support/test-app.ts";

describe.each(DATABASE_KINDS)("feed documents on %s", (kind) => {
  let t: TestApp;
  const clock = fixedClock(new Date("2026-11-26T12:00:00Z"));

  beforeAll(async () => {
    t = await createTestApp(kind, { clock });
  });
  afterAll(() => t.destroy());

  const read = async (slug: string, format: Format, headers: Record<string, string> = {}) => {
    const response = await t.get(`/feeds/${slug}.${format}`, headers);
    return { response, body: await response.text() };
  };

  it("serves every shipped feed in all three formats, empty at first", async () => {
    for (const slug of ["world", "us-russia-syria"]) {
      for (const format of ["rss", "atom", "json"] as const) {
        const { response, body } = await read(slug, format);
        expect(response.status).toBe(200);
        expect(response.headers.get("content-type")).toBe(CONTENT_TYPES[format]);
        // Browsers run our XSLT and script over a feed: no sniffing, only our own code.
        expect(response.headers.get("x-content-type-options")).toBe("nosniff");
        expect(response.headers.get("content-security-policy")).toMatch(
          /default-src 'none';.*script-src 'self'/,
        );
        expect(titles(format, body)).toEqual([]);
      }
    }
  });

  it("shows a pushed story in all three documents of each feed it names", async () => {
    const push = await t.admin("POST", "/admin/articles", fixtureStoryPush());
    expect(push.status).toBe(201);
    for (const slug of ["world", "us-russia-syria"]) {
      for (const format of ["rss", "atom", "json"] as const) {
        const { body } = await read(slug, format);
        expect(titles(format, body)).toEqual(["US and Russia plan 'concrete steps' for Syria"]);
      }
    }
  });

  it("answers a matching If-None-Match or If-Modified-Since with 304, and only then", async () => {
    const first = await read("world", "rss");
    const etag = first.response.headers.get("etag") ?? "";
    const lastModified = first.response.headers.get("last-modified") ?? "";
    expect(etag).toMatch(/^"[\w-]+"$/);
    expect(first.response.headers.get("cache-control")).toMatch(/max-age=\d+/);
    // The feed itself was last changed when it was synced (the fixture story is from 2016).
    expect(lastModified).toBe("Thu, 26 Nov 2026 12:00:00 GMT");

    const revalidated = await read("world", "rss", { "if-none-match": etag });
    expect(revalidated.response.status).toBe(304);
    expect(revalidated.body).toBe("");
    expect(revalidated.response.headers.get("etag")).toBe(etag);
    expect((await read("world", "rss", { "if-none-match": `W/${etag}` })).response.status).toBe(
      304,
    );
    expect((await read("world", "rss", { "if-none-match": '"other"' })).response.status).toBe(200);
    expect(
      (await read("world", "rss", { "if-modified-since": lastModified })).response.status,
    ).toBe(304);
    const earlier = "Thu, 26 Nov 2026 11:59:59 GMT";
    expect((await read("world", "rss", { "if-modified-since": earlier })).response.status).toBe(
      200,
    );
    // If-None-Match wins over If-Modified-Since (RFC 9110).
    const both = await read("world", "rss", {
      "if-none-match": '"other"',
      "if-modified-since": lastModified,
    });
    expect(both.response.status).toBe(200);
  });

  it("keeps the bytes and ETag stable between requests (no 'now' in the document)", async () => {
    const a = await read("world", "atom");
    clock.advance(5_000);
    const b = await read("world", "atom");
    expect(b.body).toBe(a.body);
    expect(b.response.headers.get("etag")).toBe(a.response.headers.get("etag"));
  });

  it("serves pre-compressed gzip and brotli copies of the same bytes", async () => {
    const plain = await t.get("/feeds/world.json");
    const plainBytes = Buffer.from(await plain.arrayBuffer());
    const gz = await t.get("/feeds/world.json", { "accept-encoding": "gzip" });
    expect(gz.headers.get("content-encoding")).toBe("gzip");
    expect(gz.headers.get("vary")).toBe("Accept-Encoding");
    expect(gunzipSync(Buffer.from(await gz.arrayBuffer()))).toEqual(plainBytes);
    const br = await t.get("/feeds/world.json", { "accept-encoding": "gzip, deflate, br" });
    expect(br.headers.get("content-encoding")).toBe("br");
    expect(brotliDecompressSync(Buffer.from(await br.arrayBuffer()))).toEqual(plainBytes);
    const refused = await t.get("/feeds/world.json", { "accept-encoding": "br;q=0, gzip;q=0" });
    expect(refused.headers.get("content-encoding")).toBeNull();
  });

  it("shows an edit and drops a deleted story from every feed", async () => {
    const { id } = (await (
      await t.admin("POST", "/admin/articles", {
        headline: "Aid convoy reaches Aleppo",
        bodyHtml: "<p>Trucks arrived.</p>",
        feeds: ["world"],
        publishedAt: "2026-11-26T11:00:00Z",
      })
    ).json()) as ArticleOutput;
    expect(titles("rss", (await read("world", "rss")).body)[0]).toBe("Aid convoy reaches Aleppo");
    const before = (await read("world", "rss")).response.headers.get("etag");

    await t.admin("PATCH", `/admin/articles/${id}`, {
      headline: "Aid convoy reaches eastern Aleppo",
    });
    const edited = await read("world", "rss");
    expect(titles("rss", edited.body)[0]).toBe("Aid convoy reaches eastern Aleppo");
    expect(edited.response.headers.get("etag")).not.toBe(before);

    await t.admin("DELETE", `/admin/articles/${id}`);
    for (const format of ["rss", "atom", "json"] as const) {
      expect(titles(format, (await read("world", format)).body)).not.toContain(
        "Aid convoy reaches eastern Aleppo",
      );
    }
  });

  it("keeps a scheduled story out of the feed until its time comes", async () => {
    await t.admin("POST", "/admin/articles", {
      headline: "Embargoed: summit communique",
      bodyHtml: "<p>Text.</p>",
      feeds: ["us-russia-syria"],
      publishedAt: "2026-11-26T18:00:00Z",
    });
    expect(titles("json", (await read("us-russia-syria", "json")).body)).not.toContain(
      "Embargoed: summit communique",
    );
    clock.set(new Date("2026-11-26T18:00:01Z"));
    expect(titles("json", (await read("us-russia-syria", "json")).body)[0]).toBe(
      "Embargoed: summit communique",
    );
  });

  it("uses absolute URLs for the feed, its items and the self link", async () => {
    const doc = JSON.parse((await read("world", "json")).body) as {
      version: string;
      feed_url: string;
      home_page_url: string;
      items: { url: string; id: string }[];
    };
    expect(doc.version).toBe("https://jsonfeed.org/version/1.1");
    expect(doc.feed_url).toBe(`${PUBLIC_URL}/feeds/world.json`);
    expect(doc.home_page_url).toBe(`${PUBLIC_URL}/world`);
    for (const item of doc.items) expect(item.url.startsWith(`${PUBLIC_URL}/articles/`)).toBe(true);
  });

  it("answers HEAD with headers and no body", async () => {
    const response = await t.app.request("/feeds/world.rss", { method: "HEAD" });
    expect(response.status).toBe(200);
    expect(response.headers.get("etag")).toBeTruthy();
    expect(await response.text()).toBe("");
  });

  it("gives feed readers and validators RSS and Atom without the browsers' XHTML script", async () => {
    const script = /<script xmlns="http:\/\/www\.w3\.org\/1999\/xhtml"[^>]*><\/script>/;
    for (const format of ["rss", "atom"] as const) {
      const readers: Record<string, string>[] = [
        { accept: `application/${format}+xml` },
        { accept: "*/*" },
        { accept: "application/xml;q=0.9, */*;q=0.8" },
        {},
      ];
      const bodies = new Set<string>();
      const etags = new Set<string | null>();
      for (const headers of readers) {
        const { response, body } = await read("world", format, headers);
        expect(response.headers.get("content-type")).toBe(CONTENT_TYPES[format]);
        expect(body).not.toMatch(script);
        expect(body).not.toContain("http://www.w3.org/1999/xhtml");
        titles(format, body);
        bodies.add(body);
        etags.add(response.headers.get("etag"));
      }
      expect(bodies.size).toBe(1);
      expect(etags.size).toBe(1);

      const browser = await read("world", format, { accept: "text/html,application/xhtml+xml" });
      expect(browser.body).toMatch(script);
      titles(format, browser.body);
      const browserEtag = browser.response.headers.get("etag") ?? "";
      expect(etags.has(browserEtag)).toBe(false);
      // Each variant revalidates against its own ETag.
      const revalidated = await read("world", format, {
        accept: "text/html",
        "if-none-match": browserEtag,
      });
      expect(revalidated.response.status).toBe(304);
      const otherVariant = await read("world", format, { "if-none-match": browserEtag });
      expect(otherVariant.response.status).toBe(200);
      // The compressed copies are of the same variant.
      const gzipped = await read("world", format, {
        accept: "text/html",
        "accept-encoding": "gzip",
      });
      expect(gzipped.response.headers.get("content-encoding")).toBe("gzip");
      const inflated = gunzipSync(
        Buffer.from(
          await (
            await t.get(`/feeds/world.${format}`, {
              accept: "text/html",
              "accept-encoding": "gzip",
            })
          ).arrayBuffer(),
        ),
      ).toString("utf8");
      expect(inflated).toBe(browser.body);
    }
  });
});
