import { type KvKey, type KvStore, MemoryKvStore } from "@fedify/fedify";
import { Temporal } from "@js-temporal/polyfill";
import { describe, expect, it } from "vitest";
import { CachedKvStore } from "../../../src/fedify-kysely/cached-kv-store.ts";

/** A real in-memory store that counts what reaches it. */
function countingStore() {
  const inner = new MemoryKvStore();
  const calls = { get: 0, set: 0, delete: 0, cas: 0 };
  const store: KvStore = {
    get: (key) => {
      calls.get++;
      return inner.get(key);
    },
    set: (key, value, options) => {
      calls.set++;
      return inner.set(key, value, options);
    },
    delete: (key) => {
      calls.delete++;
      return inner.delete(key);
    },
    cas: (key, expected, value, options) => {
      calls.cas++;
      return inner.cas(key, expected, value, options);
    },
    list: (prefix) => inner.list(prefix),
  };
  return { store, calls };
}

const SPEC: KvKey = ["hot", "spec", "https://a.example"];
const CIRCUIT: KvKey = ["hot", "circuit", "a.example"];
const OTHER: KvKey = ["cold", "publicKey", "https://a.example/key"];

function setup() {
  let now = 1_000;
  const { store, calls } = countingStore();
  const cached = new CachedKvStore(store, {
    families: [
      { prefix: ["hot", "spec"], ttlMs: 60_000 },
      { prefix: ["hot", "circuit"], ttlMs: 1_000, absentTtlMs: 10_000 },
    ],
    maxEntries: 3,
    now: () => now,
  });
  return { cached, store, calls, advance: (ms: number) => (now += ms) };
}

describe("CachedKvStore", () => {
  it("reads a hot key from the store once until its TTL passes", async () => {
    const { cached, store, calls, advance } = setup();
    await store.set(CIRCUIT, { failures: 1 });
    expect(await cached.get(CIRCUIT)).toEqual({ failures: 1 });
    expect(await cached.get(CIRCUIT)).toEqual({ failures: 1 });
    expect(calls.get).toBe(1);
    advance(1_001);
    expect(await cached.get(CIRCUIT)).toEqual({ failures: 1 });
    expect(calls.get).toBe(2);
  });

  it("remembers an absent key for the family's absent TTL", async () => {
    const { cached, calls, advance } = setup();
    expect(await cached.get(CIRCUIT)).toBeUndefined();
    advance(5_000);
    expect(await cached.get(CIRCUIT)).toBeUndefined();
    expect(calls.get).toBe(1);
    advance(5_001);
    expect(await cached.get(CIRCUIT)).toBeUndefined();
    expect(calls.get).toBe(2);
  });

  it("skips a write that changes nothing, and writes a change through at once", async () => {
    const { cached, store, calls } = setup();
    await cached.set(SPEC, "rfc9421");
    await cached.set(SPEC, "rfc9421");
    expect(calls.set).toBe(1);
    await cached.set(SPEC, "draft-cavage-http-signatures-12");
    expect(calls.set).toBe(2);
    expect(await store.get(SPEC)).toBe("draft-cavage-http-signatures-12");
    expect(await cached.get(SPEC)).toBe("draft-cavage-http-signatures-12");
  });

  it("always writes through a set with its own TTL (it extends the stored expiry)", async () => {
    const { cached, calls } = setup();
    const ttl = Temporal.Duration.from({ minutes: 5 });
    await cached.set(SPEC, "rfc9421", { ttl });
    await cached.set(SPEC, "rfc9421", { ttl });
    expect(calls.set).toBe(2);
  });

  it("leaves other keys alone", async () => {
    const { cached, calls } = setup();
    await cached.set(OTHER, { a: 1 });
    await cached.set(OTHER, { a: 1 });
    await cached.get(OTHER);
    await cached.get(OTHER);
    expect(calls).toMatchObject({ set: 2, get: 2 });
  });

  it("sends cas to the store and forgets the key, so the next read sees the swap", async () => {
    const { cached, calls } = setup();
    expect(await cached.get(CIRCUIT)).toBeUndefined();
    const open = { state: "open", failures: 3 };
    expect(await cached.cas(CIRCUIT, undefined, open)).toBe(true);
    expect(calls.cas).toBe(1);
    expect(await cached.get(CIRCUIT)).toEqual(open);
    expect(calls.get).toBe(2);
  });

  it("hands out copies: a caller mutating a value does not change the cached one", async () => {
    const { cached } = setup();
    await cached.set(CIRCUIT, { failures: 1 });
    const first = await cached.get<{ failures: number }>(CIRCUIT);
    if (first) first.failures = 99;
    expect(await cached.get(CIRCUIT)).toEqual({ failures: 1 });
  });

  it("keeps at most maxEntries keys, dropping the oldest", async () => {
    const { cached, calls } = setup();
    for (const host of ["a", "b", "c", "d"]) await cached.get(["hot", "circuit", host]);
    expect(calls.get).toBe(4);
    await cached.get(["hot", "circuit", "d"]);
    expect(calls.get).toBe(4);
    await cached.get(["hot", "circuit", "a"]);
    expect(calls.get).toBe(5);
  });

  it("deletes through and forgets the key", async () => {
    const { cached, store, calls } = setup();
    await cached.set(SPEC, "rfc9421");
    await cached.delete(SPEC);
    expect(calls.delete).toBe(1);
    expect(await store.get(SPEC)).toBeUndefined();
    expect(await cached.get(SPEC)).toBeUndefined();
  });
});
