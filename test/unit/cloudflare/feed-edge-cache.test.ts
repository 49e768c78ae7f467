import { describe, expect, it } from "vitest";
import { FeedEdgeCache } from "../../../src/entries/cloudflare/feed-edge-cache.ts";

const PUBLIC_URL = "https://news.example";

/** The part of the Cache API FeedEdgeCache uses, in memory, keyed by URL. */
function memoryCache() {
  const entries = new Map<string, Response>();
  const cache = {
    async match(key: RequestInfo | URL) {
      return entries.get(String(key))?.clone();
    },
    async put(key: RequestInfo | URL, response: Response) {
      entries.set(String(key), response.clone());
    },
    async delete(key: RequestInfo | URL) {
      return entries.delete(String(key));
    },
  };
  return { cache: cache as unknown as Cache, entries };
}

function setup() {
  const { cache, entries } = memoryCache();
  const edge = new FeedEdgeCache({ cache, publicUrl: PUBLIC_URL });
  const seen: Request[] = [];
  let version = 1;
  const origin = async (request: Request) => {
    seen.push(request);
    if (request.url.includes("/feeds/missing.")) return new Response("no", { status: 404 });
    return new Response(`<rss>v${version}</rss>`, {
      headers: {
        "content-type": "application/rss+xml; charset=utf-8",
        etag: `"v${version}"`,
        "last-modified": "Thu, 26 Nov 2026 12:00:00 GMT",
        "cache-control": "public, max-age=60",
      },
    });
  };
  const deferred: Promise<unknown>[] = [];
  const get = async (url: string, init: RequestInit = {}) => {
    const request = new Request(url, init);
    const key = edge.keyOf(request);
    if (key === undefined) throw new Error(`not a feed document: ${url}`);
    const response = await edge.serve(request, key, origin, (work) => deferred.push(work));
    await Promise.all(deferred);
    return response;
  };
  return { edge, entries, seen, get, bump: () => version++ };
}

describe("FeedEdgeCache", () => {
  it("keys feed document reads by their public URL, and nothing else", () => {
    const { edge } = setup();
    const key = (url: string, method = "GET") => edge.keyOf(new Request(url, { method }));
    expect(key("http://worker.example.workers.dev/feeds/world.rss?utm=x")).toBe(
      `${PUBLIC_URL}/feeds/world.rss`,
    );
    expect(key("https://news.example/feeds/world.json", "HEAD")).toBe(
      `${PUBLIC_URL}/feeds/world.json`,
    );
    expect(key("https://news.example/feeds/world.rss", "POST")).toBeUndefined();
    expect(key("https://news.example/feeds/world.html")).toBeUndefined();
    expect(key("https://news.example/world")).toBeUndefined();
  });

  it("asks the app once, uncompressed and unconditional, then answers from the cache", async () => {
    const { seen, get, entries } = setup();
    const first = await get("https://news.example/feeds/world.rss", {
      headers: { "accept-encoding": "br", "if-none-match": '"old"' },
    });
    expect(await first.text()).toBe("<rss>v1</rss>");
    expect(seen).toHaveLength(1);
    expect(seen[0]?.headers.get("accept-encoding")).toBeNull();
    expect(seen[0]?.headers.get("if-none-match")).toBeNull();
    expect([...entries.keys()]).toEqual([`${PUBLIC_URL}/feeds/world.rss`]);
    const second = await get("https://news.example/feeds/world.rss");
    expect(await second.text()).toBe("<rss>v1</rss>");
    expect(seen).toHaveLength(1);
  });

  it("answers conditional requests and HEAD from the stored copy", async () => {
    const { get } = setup();
    await get("https://news.example/feeds/world.rss");
    const notModified = await get("https://news.example/feeds/world.rss", {
      headers: { "if-none-match": '"v1"' },
    });
    expect(notModified.status).toBe(304);
    expect(notModified.headers.get("etag")).toBe('"v1"');
    expect(await notModified.text()).toBe("");
    const byDate = await get("https://news.example/feeds/world.rss", {
      headers: { "if-modified-since": "Thu, 26 Nov 2026 12:00:00 GMT" },
    });
    expect(byDate.status).toBe(304);
    const head = await get("https://news.example/feeds/world.rss", { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(head.headers.get("content-type")).toBe("application/rss+xml; charset=utf-8");
    expect(await head.text()).toBe("");
  });

  it("keeps browsers' variant of XML feeds apart, asked for as a browser, served as application/xml", async () => {
    const { get, seen, entries } = setup();
    const browser = await get("https://news.example/feeds/world.rss", {
      headers: { accept: "text/html,application/xhtml+xml" },
    });
    expect(browser.headers.get("content-type")).toBe("application/xml; charset=utf-8");
    expect(await browser.text()).toBe("<rss>v1</rss>");
    expect(seen[0]?.headers.get("accept")).toBe("text/html");
    const reader = await get("https://news.example/feeds/world.rss", {
      headers: { accept: "application/rss+xml" },
    });
    expect(reader.headers.get("content-type")).toBe("application/rss+xml; charset=utf-8");
    expect(seen).toHaveLength(2);
    expect(seen[1]?.headers.get("accept")).toBeNull();
    expect([...entries.keys()]).toEqual([
      `${PUBLIC_URL}/feeds/world.rss?variant=browser`,
      `${PUBLIC_URL}/feeds/world.rss`,
    ]);
    // JSON Feed has one variant for everybody.
    await get("https://news.example/feeds/world.json", { headers: { accept: "text/html" } });
    await get("https://news.example/feeds/world.json");
    expect(seen).toHaveLength(3);
  });

  it("never stores a failure", async () => {
    const { get, entries } = setup();
    const response = await get("https://news.example/feeds/missing.rss");
    expect(response.status).toBe(404);
    expect(entries.size).toBe(0);
  });

  it("purges every format and variant of the changed feeds only", async () => {
    const { edge, get, entries, bump } = setup();
    for (const file of ["world.rss", "world.atom", "world.json", "other.rss"]) {
      await get(`https://news.example/feeds/${file}`);
      await get(`https://news.example/feeds/${file}`, { headers: { accept: "text/html" } });
    }
    bump();
    await edge.purge(["world"]);
    expect([...entries.keys()]).toEqual([
      `${PUBLIC_URL}/feeds/other.rss`,
      `${PUBLIC_URL}/feeds/other.rss?variant=browser`,
    ]);
    expect(await (await get("https://news.example/feeds/world.rss")).text()).toBe("<rss>v2</rss>");
  });
});
