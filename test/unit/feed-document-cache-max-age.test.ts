import { describe, expect, it } from "vitest";
import { FeedDocumentCache } from "../../src/syndication/feed-document-cache.ts";
import { sampleFeed } from "../support/sample-feed.ts";
import { fixedClock } from "../support/test-app.ts";

const feed = sampleFeed;

/** A cache whose loads count themselves and wait for `release` when held. */
function setup(maxAgeMs: number) {
  const clock = fixedClock(new Date("2026-06-01T00:00:00Z"));
  const state = { loads: 0 };
  let gate: Promise<void> = Promise.resolve();
  let release = () => {};
  const cache = new FeedDocumentCache({
    clock,
    maxAgeMs,
    onError: (error) => {
      throw error;
    },
    load: async () => {
      state.loads++;
      await gate;
      return { feed, articles: [], validUntil: null };
    },
    render: () => ({ rss: "<rss/>", atom: "<feed/>", json: "{}", updated: feed.updatedAt }),
  });
  const hold = () => {
    gate = new Promise((resolve) => {
      release = resolve;
    });
  };
  return { cache, clock, state, hold, release: () => release() };
}

/** `maxAgeMs` is for runtimes without change notifications (the Worker passes 0). */
describe("FeedDocumentCache with maxAgeMs", () => {
  it("reuses a build only that long", async () => {
    const { cache, clock, state } = setup(10_000);
    await cache.get("world", "rss");
    await cache.get("world", "atom");
    expect(state.loads).toBe(1);
    clock.advance(10_000);
    expect(cache.peek("world", "rss")).toBeUndefined();
    await cache.get("world", "rss");
    expect(state.loads).toBe(2);
  });

  it("at 0 keeps nothing, yet concurrent reads share one build", async () => {
    const { cache, state, hold, release } = setup(0);
    hold();
    const reads = [cache.get("world", "rss"), cache.get("world", "json")];
    release();
    const [rss, json] = await Promise.all(reads);
    expect(new TextDecoder().decode(rss?.identity)).toBe("<rss/>");
    expect(new TextDecoder().decode(json?.identity)).toBe("{}");
    expect(state.loads).toBe(1);
    expect(cache.size).toBe(0);
    await cache.get("world", "rss");
    expect(state.loads).toBe(2);
  });
});
