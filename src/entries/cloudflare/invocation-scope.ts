import { AsyncLocalStorage } from "node:async_hooks";
import type { PostgresPool } from "kysely";
import pg from "pg";
import { silentLogger } from "../../logger.ts";
import { handlePoolErrors } from "../../storage/database.ts";
import type { ExecutionContext } from "./cloudflare.ts";

/**
 * Connections a single invocation may hold at once. Workers allow six concurrent outgoing
 * connections per invocation; Hyperdrive does the real pooling, so a few are plenty.
 */
const CONNECTIONS_PER_INVOCATION = 4;

/**
 * One Worker invocation (a request, a queue batch, a cron run): its own PostgreSQL pool, since
 * workerd forbids using a socket opened by another invocation, and the work it runs after
 * answering (`defer`), which must finish before that pool closes.
 */
export interface Invocation {
  readonly pool: pg.Pool;
  /** Keeps the invocation alive until `work` settles (ctx.waitUntil), and the pool open too. */
  defer(work: Promise<unknown>): void;
}

const storage = new AsyncLocalStorage<Invocation>();

/**
 * Runs `fn` as one invocation. Once `fn` and everything it deferred have settled, the pool is
 * closed in `ctx.waitUntil`, so the response is not held up by it.
 */
export async function runInvocation<T>(
  connectionString: string,
  ctx: ExecutionContext,
  onDeferredError: (error: unknown) => void,
  fn: () => Promise<T>,
): Promise<T> {
  // A connection Hyperdrive closes under us must fail its query, not the isolate; the pool
  // lives for one invocation, so there is nothing worth logging about an idle one.
  const pool = handlePoolErrors(
    new pg.Pool({ connectionString, max: CONNECTIONS_PER_INVOCATION }),
    silentLogger,
  );
  const pending = new Set<Promise<unknown>>();
  const invocation: Invocation = {
    pool,
    defer(work) {
      const tracked = work.catch(onDeferredError).finally(() => pending.delete(tracked));
      pending.add(tracked);
    },
  };
  const drainThenClose = async () => {
    // Deferred work may defer more (a relay after a purge): wait until nothing is left.
    while (pending.size > 0) await Promise.all(pending);
    await pool.end();
  };
  try {
    return await storage.run(invocation, fn);
  } finally {
    ctx.waitUntil(drainThenClose().catch(onDeferredError));
  }
}

/** The invocation the caller runs in; throws outside one (a bug: no database to use). */
export function currentInvocation(): Invocation {
  const invocation = storage.getStore();
  if (!invocation) throw new Error("no Worker invocation in scope (database used outside one)");
  return invocation;
}

/**
 * A kysely pool that hands out connections from the current invocation's pool, so one Kysely
 * instance (and everything built on it) can live for the whole isolate.
 */
export const invocationPool: PostgresPool = {
  Client: pg.Client,
  connect: () => currentInvocation().pool.connect(),
  // Each invocation closes its own pool; the isolate-wide Kysely has nothing to end.
  end: async () => {},
  options: {},
};
