/**
 * Preloaded into the Tidings server child (`node --import tsx --import ./bench/fanout/instrument.ts`)
 * by the fan-out benchmark. Leaves src/ untouched:
 *
 * - Counts the SQL statements the process sends (per kind), and writes the counts and
 *   `process.memoryUsage()` as JSON to $FANOUT_STATS_FILE whenever it receives SIGUSR2, so the
 *   bench can report round trips per delivery and where the memory is.
 * - Experiments, each off unless its variable is set (stand-ins for temporary src/ patches):
 *   - FANOUT_PATCH_NO_ORDERING_KEY=1: `ctx.sendActivity` drops `orderingKey`, as if the outbox
 *     relay did not pass one (Fedify then enqueues a fan-out with one `enqueueMany` and the
 *     queue's claim skips the ordering-key check).
 *   - FANOUT_PATCH_POOL_SIZE=N: PostgreSQL pool of N connections instead of the built-in 10.
 *   - FANOUT_PATCH_NO_CIRCUIT_BREAKER=1: Fedify built with `circuitBreaker: false` (no per-host
 *     state read before and after every delivery).
 */
import { existsSync, renameSync, writeFileSync } from "node:fs";
import { createFederation, createFederationBuilder, MemoryKvStore } from "@fedify/fedify";
import pg from "pg";

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

if (process.env.FANOUT_PATCH_NO_ORDERING_KEY === "1") {
  // Every Context (the relay's included) shares ContextImpl.prototype.sendActivity.
  const probe = createFederation<void>({ kv: new MemoryKvStore() });
  const contextProto = Object.getPrototypeOf(
    probe.createContext(new URL("http://probe.invalid"), undefined),
  ) as { sendActivity: (...args: unknown[]) => unknown };
  const sendActivity = contextProto.sendActivity;
  contextProto.sendActivity = function (this: unknown, ...args: unknown[]) {
    const options = (args[3] ?? {}) as Record<string, unknown>;
    if ("orderingKey" in options) {
      const { orderingKey: _dropped, ...rest } = options;
      args[3] = rest;
    }
    return sendActivity.apply(this, args);
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
