import type { KvKey, KvStore, KvStoreListEntry, KvStoreSetOptions } from "@fedify/fedify";
import type { Temporal } from "@js-temporal/polyfill";
import { type Expression, type Kysely, type SqlBool, sql } from "kysely";
import { type FedifyDatabase, fedifyTables, type KyselyWithFedifyTables } from "./schema.ts";
import { sweepExpiredKv } from "./sweep.ts";

/** Rows fetched per round trip by `list()`. */
const LIST_PAGE_SIZE = 500;
/** Expired rows deleted per sweep, so a sweep never turns into one long-running statement. */
const SWEEP_LIMIT = 200;
/** How often (at most) `set()` also sweeps expired rows. */
const SWEEP_INTERVAL_MS = 60_000;

/**
 * Fedify's key–value store (caches, idempotence records, circuit-breaker state) in the
 * `fedify_kv` table, on PostgreSQL or PGlite.
 *
 * Expiry is checked on every read against the database clock, so an expired entry is invisible
 * the moment it expires; the rows themselves are deleted later, a bounded batch at a time, by
 * `set()` (at most once a minute per store).
 */
export class KyselyKvStore implements KvStore {
  readonly #db: Kysely<FedifyDatabase>;
  #lastSweep = 0;

  constructor(db: KyselyWithFedifyTables) {
    this.#db = fedifyTables(db);
  }

  async get<T = unknown>(key: KvKey): Promise<T | undefined> {
    const row = await this.#db
      .selectFrom("fedifyKv")
      .select(valueAsText)
      .where("key", "=", encodeKey(key))
      .where(isLive)
      .executeTakeFirst();
    return row === undefined ? undefined : (JSON.parse(row.value) as T);
  }

  async set(key: KvKey, value: unknown, options?: KvStoreSetOptions): Promise<void> {
    // `undefined` is not JSON; storing it would read back as "absent" anyway.
    if (value === undefined) return this.delete(key);
    await this.#db
      .insertInto("fedifyKv")
      .values({ key: encodeKey(key), value: JSON.stringify(value), expiresAt: expiry(options) })
      .onConflict((oc) =>
        oc.column("key").doUpdateSet((eb) => ({
          value: eb.ref("excluded.value"),
          expiresAt: eb.ref("excluded.expiresAt"),
        })),
      )
      .execute();
    await this.#maybeSweep();
  }

  async delete(key: KvKey): Promise<void> {
    await this.#db.deleteFrom("fedifyKv").where("key", "=", encodeKey(key)).execute();
  }

  /**
   * Atomic: each case is one statement, and PostgreSQL re-checks an UPDATE's WHERE clause
   * against the latest committed row, so two racing swaps from the same value cannot both win.
   * Values compare as JSON (jsonb equality: object key order does not matter).
   */
  async cas(
    key: KvKey,
    expectedValue: unknown,
    newValue: unknown,
    options?: KvStoreSetOptions,
  ): Promise<boolean> {
    const encoded = encodeKey(key);
    if (expectedValue === undefined) {
      if (newValue === undefined) return (await this.get(key)) === undefined;
      // Absent means "no row, or only an expired one": insert, or take over the expired row.
      const inserted = await this.#db
        .insertInto("fedifyKv")
        .values({ key: encoded, value: JSON.stringify(newValue), expiresAt: expiry(options) })
        .onConflict((oc) =>
          oc
            .column("key")
            .doUpdateSet((eb) => ({
              value: eb.ref("excluded.value"),
              expiresAt: eb.ref("excluded.expiresAt"),
            }))
            .where(sql<SqlBool>`fedify_kv.expires_at <= now()`),
        )
        .returning("key")
        .executeTakeFirst();
      return inserted !== undefined;
    }
    const matches = sql<SqlBool>`value = ${JSON.stringify(expectedValue)}::jsonb`;
    if (newValue === undefined) {
      const deleted = await this.#db
        .deleteFrom("fedifyKv")
        .where("key", "=", encoded)
        .where(isLive)
        .where(matches)
        .returning("key")
        .executeTakeFirst();
      return deleted !== undefined;
    }
    const updated = await this.#db
      .updateTable("fedifyKv")
      .set({ value: JSON.stringify(newValue), expiresAt: expiry(options) })
      .where("key", "=", encoded)
      .where(isLive)
      .where(matches)
      .returning("key")
      .executeTakeFirst();
    return updated !== undefined;
  }

  /**
   * Entries whose key equals `prefix` or continues it element by element, in key order.
   * Pages by key (keyset pagination) instead of holding a cursor, so no connection stays checked
   * out while the caller iterates — on PGlite the caller could not run any other query otherwise.
   */
  async *list(prefix?: KvKey): AsyncIterable<KvStoreListEntry> {
    const range = prefix === undefined ? undefined : prefixRange(prefix);
    let after: string | undefined;
    while (true) {
      let query = this.#db
        .selectFrom("fedifyKv")
        .select(["key", valueAsText])
        .where(isLive)
        .orderBy("key")
        .limit(LIST_PAGE_SIZE);
      if (range) {
        query = query.where((eb) =>
          eb.or([
            eb("key", "=", range.exact),
            eb.and([eb("key", ">=", range.from), eb("key", "<", range.to)]),
          ]),
        );
      }
      if (after !== undefined) query = query.where("key", ">", after);
      const rows = await query.execute();
      for (const row of rows) yield { key: decodeKey(row.key), value: JSON.parse(row.value) };
      if (rows.length < LIST_PAGE_SIZE) return;
      after = rows[rows.length - 1]?.key;
    }
  }

  /** Deletes a bounded batch of expired rows, at most once per SWEEP_INTERVAL_MS. */
  async #maybeSweep(): Promise<void> {
    const now = Date.now();
    if (now - this.#lastSweep < SWEEP_INTERVAL_MS) return;
    this.#lastSweep = now;
    await sweepExpiredKv(this.#db, { batchSize: SWEEP_LIMIT });
  }
}

/** `["a","b"]` → `["a","b"`: JSON minus the closing bracket (see migrations/0002). */
export function encodeKey(key: KvKey): string {
  return JSON.stringify(key).slice(0, -1);
}

function decodeKey(encoded: string): KvKey {
  return JSON.parse(`${encoded}]`) as KvKey;
}

/**
 * The encoded keys under `prefix`: the prefix itself, or the prefix followed by `,` and more
 * elements. In byte order those are exactly the strings in [`…,`, `…-`), since `-` follows `,`.
 * So ["a","b"] matches ["a","b"] and ["a","b","c"] but not ["a","bc"] (`["a","bc"` has `c`
 * where a longer matching key has `",`).
 */
function prefixRange(prefix: KvKey): { exact: string; from: string; to: string } {
  const exact = encodeKey(prefix);
  return { exact, from: `${exact},`, to: `${exact}-` };
}

/**
 * Values are read as JSON text and parsed here: the CamelCasePlugin would otherwise rename the
 * keys of every nested object in a parsed jsonb value (`shared_inbox` → `sharedInbox`).
 */
const valueAsText = sql<string>`value::text`.as("value");

const isLive: Expression<SqlBool> = sql<SqlBool>`(expires_at is null or expires_at > now())`;

/** The expiry for a `ttl`, computed with the database clock that reads compare against. */
function expiry(options: KvStoreSetOptions | undefined): Expression<Date> | null {
  const ttl = options?.ttl as Temporal.Duration | undefined;
  if (ttl == null) return null;
  const ms = Math.max(0, ttl.total("millisecond"));
  return sql<Date>`now() + ${ms}::double precision * interval '1 millisecond'`;
}
