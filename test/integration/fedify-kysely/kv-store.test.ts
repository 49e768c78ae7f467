import type { KvKey, KvStoreListEntry } from "@fedify/fedify";
import { Temporal } from "@js-temporal/polyfill";
import { sql } from "kysely";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { KyselyKvStore } from "../../../src/fedify-kysely/kv-store.ts";
import { createTestDatabase, DATABASE_KINDS, type TestDatabase } from "../../support/databases.ts";

async function collect(iterable: AsyncIterable<KvStoreListEntry>): Promise<KvStoreListEntry[]> {
  const entries: KvStoreListEntry[] = [];
  for await (const entry of iterable) entries.push(entry);
  return entries;
}

const sortedKeys = (entries: KvStoreListEntry[]) =>
  entries.map((entry) => entry.key.join("/")).sort();

describe.each(DATABASE_KINDS)("KyselyKvStore on %s", (kind) => {
  let database: TestDatabase;
  let store: KyselyKvStore;

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    store = new KyselyKvStore(database.db);
  });
  afterAll(async () => {
    await database?.destroy();
  });
  beforeEach(async () => {
    await database.db.deleteFrom("fedifyKv").execute();
  });

  /** Makes a key expire now, without waiting for a ttl to run out. */
  const expire = (key: KvKey) =>
    sql`update fedify_kv set expires_at = now() - interval '1 second'
        where key = ${JSON.stringify(key).slice(0, -1)}`.execute(database.db);

  it("returns undefined (not null) for a missing key", async () => {
    await expect(store.get(["missing"])).resolves.toBeUndefined();
  });

  it.each([
    ["an object", { id: "https://example.com/a", nested: { list: [1, 2, { x: null }] } }],
    ["an array", ["a", 1, true, null]],
    ["a string", "hello"],
    ["a string that looks like JSON", '{"not":"parsed"}'],
    ["a number", 42.5],
    ["false", false],
    ["null", null],
  ])("round-trips %s", async (_, value) => {
    await store.set(["value", "round-trip"], value);
    expect(await store.get(["value", "round-trip"])).toStrictEqual(value);
  });

  it("keeps snake_case and odd keys inside values as they are", async () => {
    const value = { shared_inbox: "x", __fedify_ordering_key__: "k", "@context": ["a"] };
    await store.set(["doc"], value);
    expect(await store.get(["doc"])).toStrictEqual(value);
    expect(await collect(store.list(["doc"]))).toStrictEqual([{ key: ["doc"], value }]);
  });

  it("overwrites a value, and clears an old ttl when set again without one", async () => {
    await store.set(["k"], 1, { ttl: Temporal.Duration.from({ milliseconds: 1 }) });
    await store.set(["k"], 2);
    expect(await store.get(["k"])).toBe(2);
    // No expiry left on the row: the 1 ms ttl can never take the new value away.
    const { rows } = await sql<{ expiresAt: Date | null }>`
      select expires_at from fedify_kv where key = ${JSON.stringify(["k"]).slice(0, -1)}`.execute(
      database.db,
    );
    expect(rows).toEqual([{ expiresAt: null }]);
  });

  it("stops returning a value once its ttl has run out", async () => {
    await store.set(["ttl"], "short", { ttl: Temporal.Duration.from({ milliseconds: 300 }) });
    await store.set(["long"], "long", { ttl: Temporal.Duration.from({ hours: 1 }) });
    expect(await store.get(["ttl"])).toBe("short");
    await vi.waitFor(async () => expect(await store.get(["ttl"])).toBeUndefined(), {
      timeout: 5_000,
      interval: 50,
    });
    expect(await store.get(["long"])).toBe("long");
  });

  it("deletes a key (and deleting a missing key is fine)", async () => {
    await store.set(["gone"], { a: 1 });
    await store.delete(["gone"]);
    await store.delete(["never-there"]);
    expect(await store.get(["gone"])).toBeUndefined();
  });

  it("treats keys element-wise: ['a','b'] and ['a,b'] and ['a','b',''] are distinct", async () => {
    await store.set(["a", "b"], 1);
    await store.set(["a,b"], 2);
    await store.set(["a", "b", ""], 3);
    expect(await store.get(["a", "b"])).toBe(1);
    expect(await store.get(["a,b"])).toBe(2);
    expect(await store.get(["a", "b", ""])).toBe(3);
  });

  describe("cas", () => {
    it("swaps when the current value equals the expected one (as JSON)", async () => {
      await store.set(["cas"], { a: 1, b: [1, 2] });
      expect(await store.cas(["cas"], { b: [1, 2], a: 1 }, { a: 2 })).toBe(true);
      expect(await store.get(["cas"])).toStrictEqual({ a: 2 });
    });

    it("refuses when the current value differs", async () => {
      await store.set(["cas"], "current");
      expect(await store.cas(["cas"], "stale", "new")).toBe(false);
      expect(await store.cas(["cas"], undefined, "new")).toBe(false);
      expect(await store.get(["cas"])).toBe("current");
    });

    it("treats an expected undefined as 'absent', including an expired entry", async () => {
      expect(await store.cas(["absent"], undefined, "first")).toBe(true);
      expect(await store.get(["absent"])).toBe("first");
      expect(await store.cas(["absent"], undefined, "second")).toBe(false);

      await store.set(["expired"], "old", { ttl: Temporal.Duration.from({ hours: 1 }) });
      await expire(["expired"]);
      expect(await store.cas(["expired"], "old", "revived")).toBe(false);
      expect(await store.cas(["expired"], undefined, "fresh")).toBe(true);
      expect(await store.get(["expired"])).toBe("fresh");
    });

    it("refuses when the key is absent but a value was expected", async () => {
      expect(await store.cas(["nothing"], "something", "new")).toBe(false);
      expect(await store.get(["nothing"])).toBeUndefined();
    });

    it("sets a ttl on the new value", async () => {
      await store.set(["cas-ttl"], 1);
      const ttl = Temporal.Duration.from({ milliseconds: 200 });
      expect(await store.cas(["cas-ttl"], 1, 2, { ttl })).toBe(true);
      expect(await store.get(["cas-ttl"])).toBe(2);
      await vi.waitFor(async () => expect(await store.get(["cas-ttl"])).toBeUndefined(), {
        timeout: 5_000,
        interval: 50,
      });
    });

    it("lets exactly one of many concurrent swaps from the same value win", async () => {
      await store.set(["counter"], 0);
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => store.cas(["counter"], 0, i + 1)),
      );
      expect(results.filter(Boolean)).toHaveLength(1);
      const winner = results.indexOf(true) + 1;
      expect(await store.get(["counter"])).toBe(winner);
    });
  });

  describe("list", () => {
    beforeEach(async () => {
      await store.set(["a"], "a");
      await store.set(["a", "b"], "ab");
      await store.set(["a", "b", "c"], "abc");
      await store.set(["a", "bc"], "a.bc");
      await store.set(["a", "b-"], "a.b-");
      await store.set(["ab"], "ab-top");
      await store.set(["z", "y"], "zy");
    });

    it("lists everything without a prefix", async () => {
      const entries = await collect(store.list());
      expect(sortedKeys(entries)).toEqual(
        ["a", "a/b", "a/b/c", "a/b-", "a/bc", "ab", "z/y"].sort(),
      );
      expect(entries.find((entry) => entry.key.join("/") === "a/b/c")).toStrictEqual({
        key: ["a", "b", "c"],
        value: "abc",
      });
    });

    it("matches whole key elements: ['a','b'] does not match ['a','bc']", async () => {
      expect(sortedKeys(await collect(store.list(["a", "b"])))).toEqual(["a/b", "a/b/c"]);
      expect(sortedKeys(await collect(store.list(["a"])))).toEqual(
        ["a", "a/b", "a/b/c", "a/b-", "a/bc"].sort(),
      );
      expect(await collect(store.list(["nothing"]))).toEqual([]);
    });

    it("handles quotes, commas and non-ASCII text inside key elements", async () => {
      await store.set(["ü", "日本"], 1);
      await store.set(["ü", 'say "hi", then'], 2);
      await store.set(["üx"], 3);
      const entries = await collect(store.list(["ü"]));
      expect(entries.map((entry) => entry.key).sort()).toEqual(
        [
          ["ü", "日本"],
          ["ü", 'say "hi", then'],
        ].sort(),
      );
      expect(await store.get(["ü", 'say "hi", then'])).toBe(2);
    });

    it("leaves out expired entries", async () => {
      await expire(["a", "b", "c"]);
      expect(sortedKeys(await collect(store.list(["a", "b"])))).toEqual(["a/b"]);
      expect(sortedKeys(await collect(store.list()))).not.toContain("a/b/c");
    });

    it("pages through more entries than fit in one page", async () => {
      await sql`insert into fedify_kv (key, value)
                select '["many","' || lpad(i::text, 4, '0') || '"', to_jsonb(i)
                from generate_series(0, 1202) as i`.execute(database.db);
      const entries = await collect(store.list(["many"]));
      expect(entries).toHaveLength(1_203);
      expect(new Set(entries.map((entry) => entry.value)).size).toBe(1_203);
    });

    it("lets the caller use the store while iterating", async () => {
      const seen: unknown[] = [];
      for await (const entry of store.list(["a", "b"])) {
        seen.push(await store.get(entry.key));
      }
      expect(seen.sort()).toEqual(["ab", "abc"]);
    });
  });

  it("sweeps expired rows on set", async () => {
    const sweeper = new KyselyKvStore(database.db);
    await sweeper.set(["old"], 1);
    await expire(["old"]);
    const fresh = new KyselyKvStore(database.db);
    await fresh.set(["new"], 2);
    const { rows } = await sql<{ key: string }>`select key from fedify_kv order by key`.execute(
      database.db,
    );
    expect(rows.map((row) => row.key)).toEqual(['["new"']);
  });
});
