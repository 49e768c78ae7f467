/**
 * Preloaded into the Tidings server child (`node --import tsx --import ./bench/fanout/instrument.ts`)
 * by the fan-out benchmark. Leaves src/ untouched:
 *
 * - Counts the SQL statements the process sends (per kind), and writes the counts and
 *   `process.memoryUsage()` as JSON to $FANOUT_STATS_FILE whenever it receives SIGUSR2, so the
 *   bench can report round trips per delivery and where the memory is.
 * - Experiments, each off unless its variable is set (stand-ins for temporary src/ patches):
 *   - FANOUT_PATCH_NO_ORDERING_KEY=1: `ctx.sendActivity` drops `orderingKey`, as if the outbox
 *     relay did not pass one (Fedify then enqueues a fan-out with one `enqueueMany`).
 *   - FANOUT_PATCH_KEYED_CREATE=1: `ctx.sendActivity` gives a Create the ordering key the relay
 *     used to give it (its object's id) when it has none: the fan-out as it was before the relay
 *     stopped keying Creates.
 *   - FANOUT_PATCH_COALESCE_ENQUEUE=1: `KyselyMessageQueue.enqueue()` calls with an ordering key
 *     made in the same tick (Fedify makes one per inbox for a keyed fan-out) become one INSERT
 *     with a key per row, in call order — what a src/ change could do to keep keyed fan-outs
 *     batched. The prototype inserts over its own connection and wakes the workers by NOTIFY.
 *   - FANOUT_PATCH_POOL_SIZE=N: PostgreSQL pool of N connections instead of the built-in 10.
 *   - FANOUT_PATCH_NO_CIRCUIT_BREAKER=1: Fedify built with `circuitBreaker: false` (no per-host
 *     state read before and after every delivery).
 *   - FANOUT_PATCH_KV_CACHE=1: an in-process cache in front of KyselyKvStore for the two key
 *     families Fedify reads on every delivery — the HTTP-signature spec per origin (read, then
 *     written back unchanged, per delivery) and the circuit-breaker state per host (read twice
 *     per delivery, almost always absent) — that also skips writes that change nothing.
 */
import { existsSync, renameSync, writeFileSync } from "node:fs";
import { createFederation, createFederationBuilder, MemoryKvStore } from "@fedify/fedify";
import { Create } from "@fedify/vocab";
import pg from "pg";
import { KyselyKvStore } from "../../src/storage/fedify-kv-store.ts";
import { KyselyMessageQueue } from "../../src/storage/fedify-message-queue.ts";

const counts = new Map<string, number>();
/** Statements are parameterised, so few distinct texts: classify each once. */
const kinds = new Map<string, string>();
let total = 0;
let seq = 0;

/** A short, stable name for a statement: which table or function it is about. */
function kindOf(text: string): string {
  const sql = text.replace(/\s+/g, " ").trim().toLowerCase();
  if (sql.includes("fedify_claim_message")) {
    return sql.startsWith("with acknowledged") ? "queue: ack + claim" : "queue: claim";
  }
  if (sql.includes("insert into fedify_messages")) return "queue: enqueue";
  if (sql.startsWith("delete from fedify_messages")) return "queue: ack";
  if (sql.startsWith('update "fedify_messages"') || sql.startsWith("update fedify_messages")) {
    return "queue: lease/release";
  }
  if (sql.includes('"fedify_kv"') || sql.includes("fedify_kv")) {
    const verb = sql.split(" ", 1)[0] ?? "?";
    return `kv: ${verb}`;
  }
  const verb = sql.split(" ", 1)[0] ?? "?";
  const table = /(?:from|into|update) "?([a-z_]+)"?/.exec(sql)?.[1] ?? "?";
  return `${verb} ${table}`;
}

type Query = (this: pg.Client, ...args: unknown[]) => unknown;
const query = pg.Client.prototype.query as unknown as Query;
(pg.Client.prototype as unknown as { query: Query }).query = function (
  this: pg.Client,
  ...args: unknown[]
) {
  const first = args[0];
  const text =
    typeof first === "string"
      ? first
      : typeof first === "object" && first !== null && "text" in first
        ? String((first as { text: unknown }).text)
        : "";
  let kind = kinds.get(text);
  if (kind === undefined) {
    kind = kindOf(text);
    if (kinds.size < 10_000) kinds.set(text, kind);
  }
  counts.set(kind, (counts.get(kind) ?? 0) + 1);
  total++;
  return query.apply(this, args);
};

// Started by the bench with an IPC channel: if the bench dies (even by SIGKILL), so does this.
if (process.send) process.on("disconnect", () => process.exit(0));

const statsFile = process.env.FANOUT_STATS_FILE;
if (statsFile) {
  process.on("SIGUSR2", () => {
    seq++;
    // Asked for retained memory (the bench creates the marker; node runs with --expose-gc).
    const gc = (globalThis as { gc?: () => void }).gc;
    if (gc && existsSync(`${statsFile}.gc`)) {
      gc();
      gc();
    }
    // Written aside and renamed, so the bench never reads half a file.
    writeFileSync(
      `${statsFile}.tmp`,
      JSON.stringify({
        seq,
        total,
        counts: Object.fromEntries(counts),
        memory: process.memoryUsage(),
        at: Date.now(),
      }),
    );
    renameSync(`${statsFile}.tmp`, statsFile);
  });
}

const poolSize = Number(process.env.FANOUT_PATCH_POOL_SIZE ?? 0);
if (poolSize > 0) {
  const Pool = pg.Pool;
  pg.Pool = class extends Pool {
    constructor(config?: pg.PoolConfig) {
      super({ ...config, max: poolSize });
    }
  };
}

const noOrderingKey = process.env.FANOUT_PATCH_NO_ORDERING_KEY === "1";
const keyedCreate = process.env.FANOUT_PATCH_KEYED_CREATE === "1";
if (noOrderingKey || keyedCreate) {
  // Every Context (the relay's included) shares ContextImpl.prototype.sendActivity.
  const probe = createFederation<void>({ kv: new MemoryKvStore() });
  const contextProto = Object.getPrototypeOf(
    probe.createContext(new URL("http://probe.invalid"), undefined),
  ) as { sendActivity: (...args: unknown[]) => unknown };
  const sendActivity = contextProto.sendActivity;
  contextProto.sendActivity = function (this: unknown, ...args: unknown[]) {
    const options = (args[3] ?? {}) as Record<string, unknown>;
    const activity = args[2];
    if (noOrderingKey && "orderingKey" in options) {
      const { orderingKey: _dropped, ...rest } = options;
      args[3] = rest;
    } else if (keyedCreate && activity instanceof Create && options.orderingKey === undefined) {
      args[3] = { ...options, orderingKey: activity.objectId?.href };
    }
    return sendActivity.apply(this, args);
  };
}

if (process.env.FANOUT_PATCH_COALESCE_ENQUEUE === "1") {
  interface Pending {
    readonly message: unknown;
    readonly orderingKey: string;
    readonly resolve: () => void;
    readonly reject: (error: unknown) => void;
  }
  const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 2 });
  const proto = KyselyMessageQueue.prototype;
  const enqueue = proto.enqueue;
  let batch: Pending[] = [];
  const flush = async () => {
    const taken = batch;
    batch = [];
    try {
      // Same statement shape as KyselyMessageQueue.enqueueMany, with a key per row; ids follow
      // the array order, i.e. the order of the enqueue() calls.
      await pool.query(
        `with inserted as (
           insert into fedify_messages (queue, payload, ordering_key, available_at)
           select 'default', m.value -> 'p', m.value ->> 'k', now()
           from jsonb_array_elements($1::jsonb) with ordinality as m (value, n)
           order by m.n
           returning 1
         )
         select pg_notify('fedify_messages', $2) as notified, (select count(*) from inserted)`,
        [
          JSON.stringify(taken.map((p) => ({ p: p.message, k: p.orderingKey }))),
          JSON.stringify({ q: "default", n: taken.length, d: 0, o: "bench-coalescer" }),
        ],
      );
      for (const p of taken) p.resolve();
    } catch (error) {
      for (const p of taken) p.reject(error);
    }
  };
  proto.enqueue = function (this: KyselyMessageQueue, message, options) {
    const delay = options?.delay as { total(unit: string): number } | undefined;
    const orderingKey = options?.orderingKey;
    if (orderingKey === undefined || (delay !== undefined && delay.total("millisecond") > 0)) {
      return enqueue.call(this, message, options);
    }
    return new Promise<void>((resolve, reject) => {
      if (batch.length === 0) queueMicrotask(() => void flush());
      batch.push({ message, orderingKey, resolve, reject });
    });
  };
}

if (process.env.FANOUT_PATCH_KV_CACHE === "1") {
  type Key = readonly string[];
  const ttlMs = (key: Key): number =>
    key[0] !== "_fedify"
      ? 0
      : key[1] === "httpMessageSignaturesSpec"
        ? 60_000
        : key[1] === "circuit"
          ? 1_000
          : 0;
  const cache = new Map<string, { value: unknown; until: number }>();
  const proto = KyselyKvStore.prototype as unknown as {
    get(key: Key): Promise<unknown>;
    set(key: Key, value: unknown, options?: unknown): Promise<void>;
    delete(key: Key): Promise<void>;
    cas(key: Key, expected: unknown, value: unknown, options?: unknown): Promise<boolean>;
  };
  const { get, set, delete: del, cas } = proto;
  proto.get = async function (key) {
    const ttl = ttlMs(key);
    if (ttl === 0) return get.call(this, key);
    const id = JSON.stringify(key);
    const hit = cache.get(id);
    if (hit && hit.until > Date.now()) return hit.value;
    const value = await get.call(this, key);
    cache.set(id, { value, until: Date.now() + ttl });
    return value;
  };
  proto.set = async function (key, value, options) {
    const ttl = ttlMs(key);
    if (ttl === 0) return set.call(this, key, value, options);
    const id = JSON.stringify(key);
    const hit = cache.get(id);
    if (hit && hit.until > Date.now() && JSON.stringify(hit.value) === JSON.stringify(value))
      return;
    await set.call(this, key, value, options);
    cache.set(id, { value, until: Date.now() + ttl });
  };
  proto.delete = async function (key) {
    cache.delete(JSON.stringify(key));
    return del.call(this, key);
  };
  proto.cas = async function (key, expected, value, options) {
    cache.delete(JSON.stringify(key));
    return cas.call(this, key, expected, value, options);
  };
}

if (process.env.FANOUT_PATCH_NO_CIRCUIT_BREAKER === "1") {
  const builderProto = Object.getPrototypeOf(createFederationBuilder<void>()) as {
    build: (options: Record<string, unknown>) => unknown;
  };
  const build = builderProto.build;
  builderProto.build = function (this: unknown, options: Record<string, unknown>) {
    return build.call(this, { ...options, circuitBreaker: false });
  };
}
