import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ExecutionContext } from "../../../src/entries/cloudflare/cloudflare.ts";
import {
  currentInvocation,
  invocationPool,
  runInvocation,
} from "../../../src/entries/cloudflare/invocation-scope.ts";
import { createDatabase } from "../../../src/storage/database.ts";
import { createTestDatabase, type TestDatabase } from "../../support/databases.ts";
import { deferred } from "../../support/deferred.ts";

/** An ExecutionContext that collects what was handed to waitUntil. */
function fakeContext() {
  const waited: Promise<unknown>[] = [];
  const ctx: ExecutionContext = {
    waitUntil: (promise) => waited.push(promise),
    passThroughOnException: () => {},
  };
  return { ctx, settled: () => Promise.all(waited) };
}

/** The Worker's per-invocation PostgreSQL pools behind one isolate-wide Kysely instance. */
describe("Worker invocations", () => {
  let database: TestDatabase;
  const db = createDatabase({ pool: invocationPool });
  const errors: unknown[] = [];

  beforeAll(async () => {
    database = await createTestDatabase("postgres");
  });
  afterAll(() => database?.destroy());

  const backendPid = async () =>
    (await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(db)).rows[0]?.pid;

  it("gives each invocation its own connections and closes them after its deferred work", async () => {
    const { ctx, settled } = fakeContext();
    let pool: { ended: boolean } | undefined;
    let deferredRan = false;
    // The deferred work goes on only once the invocation has answered and been looked at.
    const answered = deferred();
    const pid = await runInvocation(
      database.url as string,
      ctx,
      (error) => errors.push(error),
      async () => {
        pool = currentInvocation().pool as unknown as { ended: boolean };
        currentInvocation().defer(
          (async () => {
            await answered.promise;
            await sql`select 1`.execute(db);
            deferredRan = true;
          })(),
        );
        return backendPid();
      },
    );
    expect(pid).toBeGreaterThan(0);
    // Answered before the deferred work, which still has its pool.
    expect(deferredRan).toBe(false);
    expect(pool?.ended).toBe(false);
    answered.resolve();
    await settled();
    expect(deferredRan).toBe(true);
    expect(pool?.ended).toBe(true);
    expect(errors).toEqual([]);
  });

  it("keeps concurrent invocations apart", async () => {
    const one = fakeContext();
    const two = fakeContext();
    // Each invocation waits, mid-way, until both have started: their async work interleaves.
    const bothStarted = deferred();
    let started = 0;
    const run = (ctx: ExecutionContext) =>
      runInvocation(
        database.url as string,
        ctx,
        (e) => errors.push(e),
        async () => {
          const pool = currentInvocation().pool;
          if (++started === 2) bothStarted.resolve();
          await bothStarted.promise;
          // Still the same invocation after the await: the context followed the async work.
          expect(currentInvocation().pool).toBe(pool);
          return backendPid();
        },
      );
    const [a, b] = await Promise.all([run(one.ctx), run(two.ctx)]);
    expect(a).not.toBe(b);
    await Promise.all([one.settled(), two.settled()]);
    expect(errors).toEqual([]);
  });

  it("refuses database work outside any invocation", async () => {
    await expect(sql`select 1`.execute(db)).rejects.toThrow(/no Worker invocation in scope/);
  });
});
