/**
 * What every fault runs against: a PostgreSQL cluster of its own (it gets stopped), the real
 * server process (`src/entries/node/server.ts`, as `npm start` runs it) and a farm of follower
 * servers on loopback hosts, each an independent ActivityPub peer that records what it got.
 */
import pg from "pg";
import { type PeerFarm, type PeerFarmOptions, startPeerFarm } from "../support/fediverse-peer.ts";
import { freePort } from "../support/free-port.ts";
import { type ServerProcess, startProcess, waitForHealth } from "../support/node-process.ts";
import { type Cluster, startCluster } from "../support/postgres-cluster.ts";
import { ADMIN_TOKEN } from "../support/test-app.ts";

export interface FaultWorld {
  readonly cluster: Cluster;
  readonly databaseUrl: string;
  readonly farm: PeerFarm;
  readonly url: string;
  readonly env: Record<string, string>;
  server: ServerProcess;
  /** Starts the server process again (after a kill or SIGTERM), waiting for /healthz. */
  restart(): Promise<void>;
  push(headline: string, externalId?: string, timeoutMs?: number): Promise<PushResult>;
  /** The activity id of an article's Create in `world` (deterministic: article + revision). */
  createOf(articleId: string): string;
  sql(statement: string, params?: unknown[]): Promise<Record<string, unknown>[]>;
  close(): Promise<void>;
}

export type PushResult =
  | { readonly status: 201 | 200; readonly id: string; readonly ms: number }
  | { readonly status: number; readonly id?: undefined; readonly ms: number };

export async function startFaultWorld(options: {
  readonly farm: PeerFarmOptions;
  readonly env?: Record<string, string>;
}): Promise<FaultWorld> {
  const cluster = await startCluster();
  await query(cluster.url, "create database tidings");
  const dbUrl = new URL(cluster.url);
  dbUrl.pathname = "/tidings";
  const databaseUrl = dbUrl.toString();
  const farm = await startPeerFarm({ sharedInbox: true, retainActivities: false, ...options.farm });
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const env = {
    PORT: String(port),
    PUBLIC_URL: url,
    DATABASE_URL: databaseUrl,
    ADMIN_TOKEN,
    FEDERATION_ALLOW_PRIVATE_ADDRESS: "true",
    DELIVERY_LEASE_MS: "3000",
    LOG_LEVEL: "warn",
    ...options.env,
  };
  const world: FaultWorld = {
    cluster,
    databaseUrl,
    farm,
    url,
    env,
    server: startProcess(env),
    async restart() {
      world.server = startProcess(env);
      await waitForHealth(url, world.server);
    },
    async push(headline, externalId, timeoutMs = 10_000) {
      const started = performance.now();
      try {
        const response = await fetch(`${url}/admin/articles`, {
          method: "POST",
          headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
          body: JSON.stringify({
            headline,
            bodyHtml: "<p>Text</p>",
            feeds: ["world"],
            ...(externalId ? { externalId } : {}),
          }),
          signal: AbortSignal.timeout(timeoutMs),
        });
        const ms = performance.now() - started;
        if (response.status === 201 || response.status === 200) {
          return {
            status: response.status,
            id: ((await response.json()) as { id: string }).id,
            ms,
          };
        }
        await response.body?.cancel();
        return { status: response.status, ms };
      } catch {
        return { status: 0, ms: performance.now() - started };
      }
    },
    createOf: (id) => `${url}/ap/feeds/world/articles/${id}/revisions/1/create`,
    sql: (statement, params) => query(databaseUrl, statement, params),
    async close() {
      if (world.server.child.exitCode === null) world.server.child.kill("SIGKILL");
      await farm.close();
      await cluster.stop();
    },
  };
  try {
    await waitForHealth(url, world.server);
    // The server migrated the database; its followers are the farm's actors.
    const values = farm.actors.map(
      (_, i) => `('world', $${3 * i + 1}, $${3 * i + 2}, $${3 * i + 3}, null, now())`,
    );
    await query(
      databaseUrl,
      `insert into followers (feed_slug, actor_id, inbox_url, shared_inbox_url, follow_id, created_at)
       values ${values.join(", ")}`,
      farm.actors.flatMap((a) => [a.id, a.inbox, a.sharedInbox]),
    );
  } catch (error) {
    await world.close();
    throw error;
  }
  return world;
}

/** One statement on a connection of its own (never one of the server's). */
export async function query(
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

/** Articles stored but not whole: without their feed link, first revision or outbox row. */
export async function halfWrittenArticles(world: FaultWorld): Promise<number> {
  const rows = await world.sql(`
    select count(*)::int as n from articles a
    where not exists (select 1 from article_feeds f where f.article_id = a.id)
       or not exists (select 1 from article_revisions r where r.article_id = a.id)
       or not exists (select 1 from federation_outbox o where o.article_id = a.id)`);
  return Number(rows[0]?.n ?? 0);
}

export async function waitFor(
  condition: () => Promise<boolean> | boolean,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
