/**
 * Fault injection (issue 15): each fault against the real server process, a PostgreSQL of its
 * own and independent follower servers on loopback, and the table of what was delivered. Every
 * accepted push must reach every follower exactly once by activity id: 0 lost, 0 duplicated.
 */
import { afterAll, describe, expect, it } from "vitest";
import { faultTable, recordFault } from "./fault-table.ts";
import { type FaultWorld, halfWrittenArticles, startFaultWorld, waitFor } from "./fault-world.ts";

/** Tallies what the farm got for the accepted stories, and records the row. */
function tally(world: FaultWorld, fault: string, ids: readonly string[], recovery: string) {
  const hosts = world.farm.peers.length;
  const delivered = ids.reduce((n, id) => n + world.farm.hostsThatReceived(world.createOf(id)), 0);
  const stats = world.farm.stats();
  const row = {
    fault,
    pushes: ids.length,
    expected: ids.length * hosts,
    delivered,
    duplicated: stats.unique - delivered,
    lost: ids.length * hosts - delivered,
    repeats: stats.duplicates,
    recovery,
  };
  recordFault(row);
  return row;
}

const allDelivered = (world: FaultWorld, ids: readonly string[]) => () =>
  ids.every((id) => world.farm.hostsThatReceived(world.createOf(id)) === world.farm.peers.length);

const healthy = async (url: string) => {
  try {
    return (await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2_000) })).status === 200;
  } catch {
    return false;
  }
};

afterAll(() => {
  console.log(`\nnpm run test:faults\n${faultTable()}\n`);
});

describe("PostgreSQL stopped during a stream of pushes", () => {
  let world: FaultWorld;
  afterAll(() => world?.close());

  it("answers each push 201 or 503, writes no half article, recovers by itself, delivers all", async () => {
    world = await startFaultWorld({ farm: { hosts: 20, firstAddress: "127.0.20.1" } });
    const outcomes: { externalId: string; status: number; id?: string }[] = [];
    let n = 0;
    const pushSome = async (count: number) => {
      for (let i = 0; i < count; i++) {
        const externalId = `stream-${n++}`;
        const result = await world.push(`Story ${externalId}`, externalId, 3_000);
        outcomes.push({ externalId, status: result.status, id: result.id });
      }
    };
    await pushSome(10);
    await world.cluster.stopServer("fast");
    await waitFor(async () => !(await healthy(world.url)), 10_000, "/healthz turns 503");
    await pushSome(10);
    const health = await fetch(`${world.url}/healthz`);
    expect(health.status).toBe(503);
    await world.cluster.startServer();
    const restarted = performance.now();
    await waitFor(() => healthy(world.url), 30_000, "/healthz 200 again");
    const recoveryMs = performance.now() - restarted;
    await pushSome(10);

    // Nothing but 201 or 503 (a push that met the outage mid-way is never a 500 or a hang).
    expect(new Set(outcomes.map((o) => o.status))).toEqual(new Set([201, 503]));
    expect(outcomes.slice(0, 10).every((o) => o.status === 201)).toBe(true);
    expect(outcomes.slice(10, 20).every((o) => o.status === 503)).toBe(true);
    expect(await halfWrittenArticles(world)).toBe(0);
    // The client sends a refused push again (README: "the same request can simply be sent
    // again"); its externalId makes that safe whatever happened to the first.
    for (const outcome of outcomes.filter((o) => o.status === 503)) {
      const again = await world.push(`Story ${outcome.externalId}`, outcome.externalId);
      expect(again.status).toBe(201);
      outcome.id = again.id;
    }
    const ids = outcomes.map((o) => o.id ?? "");
    await world.farm.waitUntil(allDelivered(world, ids), 60_000);
    const row = tally(
      world,
      "PostgreSQL stopped during pushes",
      ids,
      `${(recoveryMs / 1000).toFixed(1)} s`,
    );
    expect(row.lost).toBe(0);
    expect(row.duplicated).toBe(0);
    expect(world.server.child.exitCode).toBeNull();
  });
});

describe("PostgreSQL restarted in the middle of a 1,000-inbox fan-out", () => {
  let world: FaultWorld;
  afterAll(() => world?.close());

  it("delivers the Create to every inbox exactly once by activity id", async () => {
    world = await startFaultWorld({
      farm: { hosts: 1000, firstAddress: "127.0.40.1", inboxDelayMs: 20 },
      env: { DELIVERY_CONCURRENCY: "16" },
    });
    const pushed = await world.push("A story for a thousand servers");
    expect(pushed.status).toBe(201);
    const id = pushed.id ?? "";
    await world.farm.waitUntil(
      () => world.farm.hostsThatReceived(world.createOf(id)) >= 100,
      120_000,
    );
    await world.cluster.stopServer("immediate");
    const duringOutage = world.farm.hostsThatReceived(world.createOf(id));
    expect(duringOutage).toBeLessThan(1000);
    await world.cluster.startServer();
    const restarted = performance.now();
    await world.farm.waitUntil(allDelivered(world, [id]), 240_000);
    const row = tally(
      world,
      "PostgreSQL restarted mid fan-out (1,000 inboxes)",
      [id],
      `${((performance.now() - restarted) / 1000).toFixed(1)} s to finish`,
    );
    expect(row.lost).toBe(0);
    expect(row.duplicated).toBe(0);
    expect(world.farm.stats().activityIds).toBe(1);
  });
});

describe("SIGTERM during a fan-out", () => {
  let world: FaultWorld;
  afterAll(() => world?.close());

  it("finishes or hands back what is in flight, and the restart completes the rest", async () => {
    world = await startFaultWorld({
      farm: { hosts: 200, firstAddress: "127.0.30.1", inboxDelayMs: 100 },
      env: { DELIVERY_CONCURRENCY: "8" },
    });
    const pushed = await world.push("A story interrupted by a deploy");
    const id = pushed.id ?? "";
    await world.farm.waitUntil(
      () => world.farm.hostsThatReceived(world.createOf(id)) >= 20,
      60_000,
    );
    world.server.child.kill("SIGTERM");
    expect(await world.server.exited).toBe(0);
    const stopped = world.farm.hostsThatReceived(world.createOf(id));
    expect(stopped).toBeLessThan(200);
    const restartedAt = performance.now();
    await world.restart();
    await world.farm.waitUntil(allDelivered(world, [id]), 120_000);
    const row = tally(
      world,
      "SIGTERM mid fan-out (200 inboxes)",
      [id],
      `${((performance.now() - restartedAt) / 1000).toFixed(1)} s to finish`,
    );
    expect(row.lost).toBe(0);
    expect(row.duplicated).toBe(0);
  });
});
