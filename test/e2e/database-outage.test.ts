import pg from "pg";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { ArticleOutput } from "../../src/schemas/article.schema.ts";
import { type PeerServer, startPeerServer } from "../support/fediverse-peer.ts";
import { freePort } from "../support/free-port.ts";
import { type ServerProcess, startProcess, waitForHealth } from "../support/node-process.ts";
import { type Cluster, startCluster } from "../support/postgres-cluster.ts";
import { ADMIN_TOKEN } from "../support/test-app.ts";

/** Longest any request may take while PostgreSQL is down: an answer, not a hang. */
const OUTAGE_ANSWER_MS = 3_000;
/** Longest Tidings may take to serve again once PostgreSQL is back. */
const RECOVERY_MS = 15_000;
/** Generous: a process starting under tsx on a busy 2-core machine takes seconds. */
const PROCESS_START_MS = 30_000;

/**
 * PostgreSQL goes away under a running `npm start` (its backends terminated, its server stopped
 * and started again) and is missing when Tidings starts. This file stops and starts PostgreSQL,
 * so it has a cluster of its own: the suite's shared one serves the other files meanwhile.
 */
describe("PostgreSQL going away under Tidings", () => {
  let cluster: Cluster;
  let databaseUrl: string;
  let peer: PeerServer;
  let env: Record<string, string>;
  let url: string;
  let server: ServerProcess;
  const processes: ServerProcess[] = [];
  const start = (entry?: string) => {
    const started = startProcess(env, entry);
    processes.push(started);
    return started;
  };
  /** Every article a push was accepted for (201): each must reach the follower. */
  const accepted: string[] = [];

  beforeAll(async () => {
    cluster = await startCluster();
    await runSql(cluster.url, "create database tidings");
    const dbUrl = new URL(cluster.url);
    dbUrl.pathname = "/tidings";
    databaseUrl = dbUrl.toString();
    peer = await startPeerServer({ host: "127.0.0.1", actors: ["alice"] });
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    env = {
      PORT: String(port),
      PUBLIC_URL: url,
      DATABASE_URL: databaseUrl,
      ADMIN_TOKEN,
      FEDERATION_ALLOW_PRIVATE_ADDRESS: "true",
      // A delivery leased when PostgreSQL went away comes back this soon.
      DELIVERY_LEASE_MS: "2000",
      LOG_LEVEL: "info",
    };
    server = start();
    await waitForHealth(url, server);
    const alice = peer.actor("alice");
    await runSql(
      databaseUrl,
      `insert into followers (feed_slug, actor_id, inbox_url, shared_inbox_url, follow_id, created_at)
       values ('world', $1, $2, $3, null, now())`,
      [alice.id, alice.inbox, alice.sharedInbox],
    );
  });
  afterAll(async () => {
    for (const started of processes) started.child.kill("SIGKILL");
    await peer?.close();
    await cluster?.stop();
  });

  const push = (headline: string) =>
    fetch(`${url}/admin/articles`, {
      method: "POST",
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify({ headline, bodyHtml: "<p>Text</p>", feeds: ["world"] }),
      signal: AbortSignal.timeout(OUTAGE_ANSWER_MS),
    });

  /** A push that must be accepted; one 503 is allowed while the pool notices a dead connection. */
  const acceptedPush = async (headline: string) => {
    let response = await push(headline);
    if (response.status === 503) response = await push(headline);
    expect(response.status).toBe(201);
    const { id } = (await response.json()) as ArticleOutput;
    accepted.push(id);
    return id;
  };

  const createOf = (id: string) => `${url}/ap/feeds/world/articles/${id}/revisions/1/create`;
  const deliveredAll = () =>
    peer.waitUntil(
      () => accepted.every((id) => peer.received.some((r) => r.activityId === createOf(id))),
      30_000,
    );

  const listeningChannels = async () =>
    (
      await runSql(
        databaseUrl,
        // The delivery queue's LISTEN connection ends by taking its consumer lock.
        "select case when query like 'select pg_try_advisory_lock%' then 'queue LISTEN + consumer lock' else query end as query from pg_stat_activity where datname = 'tidings' and (query like 'LISTEN %' or query like 'select pg_try_advisory_lock%')",
      )
    ).map((row) => String(row.query));

  it("survives every connection being terminated, and serves and delivers again", async () => {
    await acceptedPush("Before the terminations");
    await deliveredAll();
    expect(await listeningChannels()).toEqual(
      expect.arrayContaining(["queue LISTEN + consumer lock", "LISTEN tidings_feed_changes"]),
    );

    const terminated = await runSql(
      databaseUrl,
      `select pg_terminate_backend(pid) as done from pg_stat_activity
       where datname = 'tidings' and pid <> pg_backend_pid()`,
    );
    expect(terminated.length).toBeGreaterThanOrEqual(3); // pooled + both LISTEN connections

    await vi.waitFor(
      async () => expect((await fetch(`${url}/healthz`)).status).toBe(200),
      RECOVERY_MS,
    );
    await acceptedPush("After the terminations");
    await deliveredAll();
    // Both listeners came back by themselves.
    await vi.waitFor(
      async () =>
        expect(await listeningChannels()).toEqual(
          expect.arrayContaining(["queue LISTEN + consumer lock", "LISTEN tidings_feed_changes"]),
        ),
      RECOVERY_MS,
    );
    expect(server.child.exitCode).toBeNull();
    expect(server.output()).toMatch(/LISTEN connection lost; reconnecting in [\d.]+ s/);
  });

  it("answers 503 while PostgreSQL is stopped, and recovers with nothing lost when it starts", async () => {
    // Accepted just before the stop, and held at the peer until PostgreSQL is gone: its
    // delivery is in flight through the outage, so its acknowledgement is lost or delayed.
    let deliveryStarted!: () => void;
    const inFlight = new Promise<void>((resolve) => {
      deliveryStarted = resolve;
    });
    let endHold!: () => void;
    const held = new Promise<void>((resolve) => {
      endHold = resolve;
    });
    peer.configure({
      intercept: async () => {
        deliveryStarted();
        await held;
        return undefined;
      },
    });
    await acceptedPush("Just before the stop");
    await inFlight;
    const before = server.output().length;
    await cluster.stopServer("fast");
    peer.configure({ intercept: undefined });
    endHold();

    for (const headline of ["During the outage", "Still during the outage"]) {
      const started = Date.now();
      const response = await push(headline);
      expect(Date.now() - started).toBeLessThan(OUTAGE_ANSWER_MS);
      expect(response.status).toBe(503);
      expect(response.headers.get("content-type")).toBe("application/problem+json");
      expect(response.headers.get("retry-after")).toBe("5");
      const body = (await response.json()) as { type: string; status: number };
      expect(body).toMatchObject({ type: "/problems/unavailable", status: 503 });
    }
    const health = await fetch(`${url}/healthz`, {
      signal: AbortSignal.timeout(OUTAGE_ANSWER_MS),
    });
    expect(health.status).toBe(503);
    expect((await health.json()) as { type: string }).toMatchObject({
      type: "/problems/unavailable",
    });
    // The background loops have met the outage too, and keep going.
    await vi.waitFor(() => {
      const during = server.output().slice(before);
      expect(during).toMatch(/fedify queue: could not claim messages; retrying in/);
      expect(during).toMatch(/outbox relay: database unavailable \(ECONNREFUSED\)/);
    }, 10_000);
    expect(server.child.exitCode).toBeNull();

    await cluster.startServer();
    const restarted = Date.now();
    await vi.waitFor(async () => expect((await fetch(`${url}/healthz`)).status).toBe(200), {
      timeout: RECOVERY_MS,
      interval: 100,
    });
    expect(Date.now() - restarted).toBeLessThan(RECOVERY_MS);
    await acceptedPush("After the restart");
    await deliveredAll();

    expect(server.child.exitCode).toBeNull();
    const output = server.output();
    expect(output).not.toMatch(/uncaught|unhandled/i);
    expect(output).toMatch(/POST \/admin\/articles: 503, database unavailable \(/);
    // One line per failure, no stack traces.
    expect(output).not.toMatch(/\n\s+at /);

    server.child.kill("SIGTERM");
    expect(await server.exited).toBe(0);
  });

  it("waits for PostgreSQL at start-up, stops cleanly on SIGTERM meanwhile, and serves once it is up", async () => {
    await cluster.stopServer("fast");
    const waiting = new RegExp(
      `database not reachable at 127\\.0\\.0\\.1:${cluster.port} \\(ECONNREFUSED\\); retrying in \\d+ s`,
    );

    // Started together: two app processes and a delivery process, all waiting.
    const stoppedApp = start();
    const stoppedWorker = start("src/entries/node/delivery.ts");
    server = start();
    for (const waiter of [stoppedApp, stoppedWorker, server]) {
      await vi.waitFor(() => expect(waiter.output()).toMatch(waiting), PROCESS_START_MS);
    }
    for (const waiter of [stoppedApp, stoppedWorker]) {
      waiter.child.kill("SIGTERM");
      expect(await waiter.exited).toBe(0);
    }
    expect(stoppedWorker.output()).toMatch(/stopped before the database was reached/);

    expect(server.child.exitCode).toBeNull();
    await cluster.startServer();
    await waitForHealth(url, server, PROCESS_START_MS);
    expect((await fetch(`${url}/feeds/world.rss`)).status).toBe(200);
    await acceptedPush("After a late start");
    await deliveredAll();
    expect(server.output()).not.toMatch(/uncaught|unhandled/i);
  });
});

/** One statement on a connection of its own (the test's, never one of Tidings' pools). */
async function runSql(
  url: string,
  statement: string,
  params: unknown[] = [],
): Promise<Record<string, unknown>[]> {
  const client = new pg.Client({ connectionString: url });
  client.on("error", () => {});
  await client.connect();
  try {
    return (await client.query(statement, params)).rows;
  } finally {
    await client.end();
  }
}
