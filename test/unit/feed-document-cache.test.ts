import { describe, expect, it, vi } from "vitest";
import {
  FeedDocumentCache,
  type FeedSnapshot,
  type RenderedDocuments,
} from "../../src/syndication/feed-document-cache.ts";
import { sampleFeed } from "../support/sample-feed.ts";
import { fixedClock } from "../support/test-app.ts";

const feed = sampleFeed;

/** A cache over a fake store whose "version" the test controls; renders count themselves. */
function setup(options: { validUntil?: Date | null; rebuildOnInvalidate?: boolean } = {}) {
  const clock = fixedClock(new Date("2026-06-01T00:00:00Z"));
  const state = { version: 1, loads: 0, renders: 0, exists: true };
  let releaseLoad: (() => void) | undefined;
  let gate: Promise<void> | undefined;
  const cache = new FeedDocumentCache({
    clock,
    ...(options.rebuildOnInvalidate === undefined
      ? {}
      : { rebuildOnInvalidate: options.rebuildOnInvalidate }),
    onError: (error) => {
      throw error;
    },
    load: async (): Promise<FeedSnapshot | undefined> => {
      state.loads++;
      const version = state.version;
      if (gate) await gate;
      if (!state.exists) return undefined;
      return {
        feed: { ...feed, title: `v${version}` },
        articles: [],
        validUntil: options.validUntil ?? null,
      };
    },
    render: (snapshot): RenderedDocuments => {
      state.renders++;
      const text = snapshot.feed.title;
      return {
        rss: `<rss>${text}</rss>`,
        atom: `<feed>${text}</feed>`,
        json: `{"t":"${text}"}`,
        updated: feed.updatedAt,
      };
    },
  });
  const body = async (format: "rss" | "atom" | "json") =>
    new TextDecoder().decode((await cache.get("world", format))?.identity);
  const holdLoads = () => {
    gate = new Promise((resolve) => {
      releaseLoad = () => {
        gate = undefined;
        resolve();
      };
    });
  };
  return { cache, clock, state, body, holdLoads, release: () => releaseLoad?.() };
}

describe("FeedDocumentCache", () => {
  it("renders once per version and then serves from memory without loading", async () => {
    const { cache, state, body } = setup();
    expect(cache.peek("world", "rss")).toBeUndefined();
    expect(await body("rss")).toBe("<rss>v1</rss>");
    expect(await body("atom")).toBe("<feed>v1</feed>");
    for (let i = 0; i < 10; i++) expect(cache.peek("world", "json")).toBeTruthy();
    expect(state).toMatchObject({ loads: 1, renders: 1 });
  });

  it("rebuilds right after an invalidation of a feed that has readers", async () => {
    const { cache, state, body } = setup();
    await body("rss");
    state.version = 2;
    cache.invalidate(["world"]);
    // Started eagerly, before anyone asks for the feed again.
    await vi.waitFor(() => expect(state.loads).toBe(2));
    expect(await body("rss")).toBe("<rss>v2</rss>");
    expect(state.renders).toBe(2);
  });

  it("without rebuildOnInvalidate, drops an invalidated key and renders it when next read", async () => {
    const { cache, state, body } = setup({ rebuildOnInvalidate: false });
    await body("rss");
    state.version = 2;
    cache.invalidate(["world"]);
    // Nothing started: the next read builds it.
    await new Promise((resolve) => setImmediate(resolve));
    expect(state.loads).toBe(1);
    expect(cache.peek("world", "rss")).toBeUndefined();
    expect(await body("rss")).toBe("<rss>v2</rss>");
    expect(state).toMatchObject({ loads: 2, renders: 2 });
  });

  it("invalidateWhere drops only the keys it picks", async () => {
    const { cache, state } = setup();
    await cache.get("world/1", "rss");
    await cache.get("world/2", "rss");
    await cache.get("other/1", "rss");
    cache.invalidateWhere((key) => key.startsWith("world/"));
    expect(cache.peek("other/1", "rss")).toBeTruthy();
    await vi.waitFor(() => expect(state.loads).toBe(5));
  });

  it("never serves a version older than the last invalidation, even mid-build", async () => {
    const { cache, state, body, holdLoads, release } = setup();
    await body("rss");
    holdLoads();
    state.version = 2;
    cache.invalidate(["world"]); // build for v2 starts and waits on the gate
    state.version = 3;
    cache.invalidate(["world"]); // a newer change arrives during that build
    const reading = body("rss");
    release();
    expect(await reading).toBe("<rss>v3</rss>");
  });

  it("coalesces a burst of invalidations into few builds", async () => {
    const { cache, state, body, holdLoads, release } = setup();
    await body("rss");
    holdLoads();
    for (let v = 2; v <= 20; v++) {
      state.version = v;
      cache.invalidate(["world"]);
    }
    release();
    expect(await body("rss")).toBe("<rss>v20</rss>");
    expect(state.renders).toBeLessThanOrEqual(4);
  });

  it("expires when a scheduled article comes due", async () => {
    const due = new Date("2026-06-01T06:00:00Z");
    const { cache, clock, state, body } = setup({ validUntil: due });
    await body("rss");
    expect(cache.peek("world", "rss")).toBeTruthy();
    clock.set(due);
    expect(cache.peek("world", "rss")).toBeUndefined();
    await body("rss");
    expect(state.loads).toBe(2);
  });

  it("remembers a missing feed briefly, then looks again", async () => {
    const { cache, clock, state } = setup();
    state.exists = false;
    expect(await cache.get("world", "rss")).toBeNull();
    expect(cache.peek("world", "rss")).toBeNull();
    clock.advance(5_001);
    state.exists = true;
    expect(await cache.get("world", "rss")).not.toBeNull();
  });

  it("keeps strong validators: same bytes, same ETag; Last-Modified from the feed date", async () => {
    const { cache } = setup();
    const rss = await cache.get("world", "rss");
    expect(rss?.etag).toMatch(/^"[\w-]{24}"$/);
    expect(rss?.lastModified).toBe("Thu, 01 Jan 2026 00:00:00 GMT");
    const atom = await cache.get("world", "atom");
    expect(atom?.etag).not.toBe(rss?.etag);
  });
});

describe("FeedDocumentCache's memory limit", () => {
  /** Feeds whose documents are `size` characters each, rendered on demand. */
  function sizedCache(maxBytes: number, size: number) {
    let renders = 0;
    const cache = new FeedDocumentCache({
      clock: fixedClock(new Date("2026-06-01T00:00:00Z")),
      onError: (error) => {
        throw error;
      },
      load: async (slug) => ({ feed: { ...feed, slug }, articles: [], validUntil: null }),
      render: (snapshot) => {
        renders++;
        const text = snapshot.feed.slug.padEnd(size, "x");
        return { rss: text, atom: text, json: text, updated: feed.updatedAt };
      },
      precompress: false,
      maxBytes,
    });
    return { cache, renders: () => renders };
  }

  it("keeps no more than its limit, dropping the feeds read least recently", async () => {
    const { cache, renders } = sizedCache(10_000, 1_000); // 3,000 bytes a feed
    await cache.get("a", "rss");
    await cache.get("b", "rss");
    await cache.get("c", "rss");
    expect(cache.bytes).toBe(9_000);
    expect(cache.peek("a", "atom")).toBeDefined(); // a is now read more recently than b
    await cache.get("d", "rss");
    expect(cache.bytes).toBeLessThanOrEqual(10_000);
    expect(cache.size).toBe(3);
    expect(cache.peek("b", "rss")).toBeUndefined();
    expect(cache.peek("a", "rss")).toBeDefined();
    // A dropped feed is simply rendered again when read.
    const before = renders();
    expect(await cache.get("b", "rss")).not.toBeNull();
    expect(renders()).toBe(before + 1);
    expect(cache.bytes).toBeLessThanOrEqual(10_000);
  });

  it("still serves one feed larger than the whole limit", async () => {
    const { cache } = sizedCache(1_000, 2_000);
    expect(await cache.get("a", "json")).not.toBeNull();
    await cache.get("b", "json");
    expect(cache.size).toBe(1);
    expect(cache.bytes).toBe(6_000);
  });
});
