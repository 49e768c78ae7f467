import { describe, expect, it } from "vitest";
import { type Built, SharedBuildCache } from "../../src/syndication/shared-build-cache.ts";
import { type Deferred, deferred } from "../support/deferred.ts";

/**
 * A cache whose builds return `KEY@N` (N counting that key's builds), tagged as `tagsOf` says,
 * each holding 10 bytes; a build waits for `gates[key]` when one is set.
 */
function setup(
  options: { maxBytes?: number; tagsOf?: (key: string) => string[]; ttlMs?: number } = {},
) {
  let now = 1_000;
  const builds = new Map<string, number>();
  const gates = new Map<string, Deferred>();
  const cache = new SharedBuildCache<string>({
    now: () => now,
    maxBytes: options.maxBytes,
    build: async (key): Promise<Built<string>> => {
      const version = (builds.get(key) ?? 0) + 1;
      builds.set(key, version);
      await gates.get(key)?.promise;
      return {
        value: `${key}@${version}`,
        expiresAt: now + (options.ttlMs ?? 60_000),
        tags: options.tagsOf?.(key),
        bytes: 10,
      };
    },
  });
  return {
    cache,
    builds: (key: string) => builds.get(key) ?? 0,
    hold: (key: string) => {
      const gate = deferred();
      gates.set(key, gate);
      return () => {
        gates.delete(key);
        gate.resolve();
      };
    },
    advance: (ms: number) => {
      now += ms;
    },
  };
}

describe("SharedBuildCache", () => {
  it("shares one build among concurrent readers and serves later ones from memory", async () => {
    const { cache, builds, hold } = setup();
    const release = hold("a");
    const readers = Array.from({ length: 50 }, () => cache.get("a"));
    expect(cache.peek("a")).toBeUndefined();
    release();
    expect(new Set(await Promise.all(readers))).toEqual(new Set(["a@1"]));
    expect(cache.peek("a")).toBe("a@1");
    expect(await cache.get("a")).toBe("a@1");
    expect(builds("a")).toBe(1);
  });

  it("lets a reader join a build in progress without starting one", async () => {
    const { cache, builds, hold } = setup({ tagsOf: () => ["t"] });
    expect(cache.building("a")).toBeUndefined();
    expect(builds("a")).toBe(0);
    const release = hold("a");
    const first = cache.get("a");
    const joined = cache.building("a");
    expect(joined).toBeDefined();
    release();
    expect(await joined).toBe("a@1");
    expect(await first).toBe("a@1");
    expect(builds("a")).toBe(1);
    // Done and kept: nothing is being built any more.
    expect(cache.building("a")).toBeUndefined();
    // A build that started before a change to its tag is not offered.
    const releaseAgain = hold("b");
    const stale = cache.get("b");
    cache.invalidateTags(["t"]);
    expect(cache.building("b")).toBeUndefined();
    releaseAgain();
    await stale;
  });

  it("never answers a build that started before a change to its tag", async () => {
    const { cache, builds, hold } = setup({ tagsOf: () => ["world"] });
    const release = hold("a");
    const early = cache.get("a");
    cache.invalidateTags(["world"]);
    const late = cache.get("a");
    release();
    // Both get the build started after the change; the first build's result is not kept.
    expect(await early).toBe("a@2");
    expect(await late).toBe("a@2");
    expect(builds("a")).toBe(2);
    expect(cache.peek("a")).toBe("a@2");
  });

  it("never answers a build that started before its key was invalidated", async () => {
    const { cache, builds, hold } = setup();
    const release = hold("a");
    const early = cache.get("a");
    cache.invalidateKeys(["a"]);
    release();
    expect(await early).toBe("a@2");
    expect(builds("a")).toBe(2);
    expect(cache.peek("a")).toBe("a@2");
  });

  it("drops what a change concerns, by tag or by key, and keeps the rest", async () => {
    const { cache } = setup({ tagsOf: (key) => (key.startsWith("w") ? ["world"] : ["sport"]) });
    for (const key of ["w1", "w2", "s1"]) await cache.get(key);
    cache.invalidateTags(["world"]);
    expect([cache.peek("w1"), cache.peek("w2"), cache.peek("s1")]).toEqual([
      undefined,
      undefined,
      "s1@1",
    ]);
    cache.invalidateKeys(["s1"]);
    expect(cache.peek("s1")).toBeUndefined();
    expect(await cache.get("s1")).toBe("s1@2");
    cache.invalidateAll();
    expect(cache.size).toBe(0);
    expect(cache.bytes).toBe(0);
  });

  it("ends an entry at its expiry, and keeps nothing that is already expired", async () => {
    const expiring = setup({ ttlMs: 5_000 });
    await expiring.cache.get("a");
    expiring.advance(5_000);
    expect(expiring.cache.peek("a")).toBeUndefined();
    expect(await expiring.cache.get("a")).toBe("a@2");

    const never = setup({ ttlMs: 0 });
    expect(await never.cache.get("a")).toBe("a@1");
    expect(never.cache.size).toBe(0);
  });

  it("holds at most maxBytes, dropping the entries read least recently", async () => {
    const { cache } = setup({ maxBytes: 30 });
    for (const key of ["a", "b", "c"]) await cache.get(key);
    expect(cache.peek("a")).toBe("a@1"); // now b is the least recently read
    await cache.get("d");
    expect(cache.size).toBe(3);
    expect(cache.bytes).toBe(30);
    expect(cache.peek("b")).toBeUndefined();
    expect([cache.peek("a"), cache.peek("c"), cache.peek("d")]).toEqual(["a@1", "c@1", "d@1"]);
  });
});
