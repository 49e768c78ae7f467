import { sql } from "kysely";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { ArticleOutput } from "../../src/schemas/article.schema.ts";
import { parseFeedDefinitions } from "../../src/schemas/feed-definitions.ts";
import { syncFeedDefinitions } from "../../src/storage/feed-sync.ts";
import { createTestDatabase, type TestDatabase } from "../support/databases.ts";
import { insertFarmFollowers } from "../support/farm-followers.ts";
import { type PeerFarm, startPeerFarm } from "../support/fediverse-peer.ts";
import { freePort } from "../support/free-port.ts";
import {
  killAll,
  postArticle,
  type ServerProcess,
  startProcess as startChild,
  waitForHealth,
} from "../support/node-process.ts";
import { ADMIN_TOKEN, shippedFeedFiles } from "../support/test-app.ts";

const FOLLOWERS = 200;

/**
 * `kill -9` the server while it fans a story out to 200 followers on 200 loopback hosts, start
 * it again: every inbox gets the Create, repeats carry the same activity id, no follower is lost.
 */
describe("a crash in the middle of a fan-out", () => {
  let database: TestDatabase;
  let farm: PeerFarm;
  let env: Record<string, string>;
  let url: string;
  let server: ServerProcess | undefined;

  beforeAll(async () => {
    database = await createTestDatabase("postgres");
    await syncFeedDefinitions(
      database.db,
      parseFeedDefinitions(await shippedFeedFiles()),
      new Date(),
    );
    // Slow inboxes (150 ms) and low concurrency keep the fan-out in flight long enough to crash it.
    farm = await startPeerFarm({ hosts: FOLLOWERS, firstAddress: "127.0.3.1", inboxDelayMs: 150 });
    await insertFarmFollowers(database.db, farm, "world");
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    env = {
      PORT: String(port),
      PUBLIC_URL: url,
      DATABASE_URL: database.url ?? "",
      ADMIN_TOKEN,
      FEDERATION_ALLOW_PRIVATE_ADDRESS: "true",
      DELIVERY_CONCURRENCY: "4",
      DELIVERY_LEASE_MS: "2000",
      LOG_LEVEL: "warn",
    };
  });
  /** Every process a test starts; all are gone before the next test (one holds the port). */
  const processes: ServerProcess[] = [];
  const startProcess = (...args: Parameters<typeof startChild>) => {
    const started = startChild(...args);
    processes.push(started);
    return started;
  };
  afterEach(async () => {
    await killAll(processes.splice(0));
    server = undefined;
  });
  afterAll(async () => {
    await farm?.close();
    await database?.destroy();
  });

  it("delivers the Create to every follower exactly as one activity", async () => {
    server = startProcess(env);
    await waitForHealth(url, server);
    const push = await postArticle(url, ADMIN_TOKEN, {
      headline: "Ceasefire agreed",
      bodyHtml: "<p>Text</p>",
      feeds: ["world"],
    });
    expect(push.status).toBe(201);
    const { id } = (await push.json()) as ArticleOutput;
    const activityId = `${url}/ap/feeds/world/articles/${id}/revisions/1/create`;

    // Crash once part of the fan-out has landed, and before all of it has.
    await farm.waitUntil(() => farm.hostsThatReceived(activityId) >= 10, 60_000);
    server.child.kill("SIGKILL");
    await server.exited;
    const beforeCrash = farm.hostsThatReceived(activityId);
    expect(beforeCrash).toBeGreaterThanOrEqual(10);
    expect(beforeCrash).toBeLessThan(FOLLOWERS);

    server = startProcess(env);
    await waitForHealth(url, server);
    await farm.waitForAllHosts(activityId, 90_000);

    const stats = farm.stats();
    expect(farm.hostsThatReceived(activityId)).toBe(FOLLOWERS);
    // Every delivery, first or repeated, was this one activity: receivers deduplicate repeats.
    expect(stats.activityIds).toBe(1);
    expect(stats.unique).toBe(FOLLOWERS);
    expect(stats.deliveries).toBe(FOLLOWERS + stats.duplicates);
    const followers = await sql<{ n: number }>`
      select count(*)::int as n from followers where feed_slug = 'world'`.execute(database.db);
    expect(followers.rows[0]?.n).toBe(FOLLOWERS);
  });

  it("lets `npm run delivery` finish the work of an app process that died, and stop on SIGTERM", async () => {
    server = startProcess(env);
    await waitForHealth(url, server);
    const push = await postArticle(url, ADMIN_TOKEN, {
      headline: "Second story",
      bodyHtml: "<p>Text</p>",
      feeds: ["world"],
    });
    expect(push.status).toBe(201);
    const { id } = (await push.json()) as ArticleOutput;
    const activityId = `${url}/ap/feeds/world/articles/${id}/revisions/1/create`;
    server.child.kill("SIGKILL");
    await server.exited;
    server = undefined;

    // Peers still need our actor's key to verify signatures, so the app comes back in this
    // test too, but without the worker the killed process's leased deliveries would wait.
    const worker = startProcess({ ...env, LOG_LEVEL: "info" }, "src/entries/node/delivery.ts");
    try {
      server = startProcess({ ...env, DELIVERY_CONCURRENCY: "1" });
      await waitForHealth(url, server);
      await farm.waitForAllHosts(activityId, 90_000);
      expect(worker.output()).toMatch(/delivery process started/);
    } finally {
      worker.child.kill("SIGTERM");
    }
    expect(await worker.exited).toBe(0);
    expect(worker.output()).toMatch(/delivery process stopped/);
    expect(farm.hostsThatReceived(activityId)).toBe(FOLLOWERS);
  });

  it("takes over a killed process's leased deliveries within seconds of a restart, not after the lease", async () => {
    // The default lease (60 s): a takeover by lease would miss the bound below by far.
    const { DELIVERY_LEASE_MS: _short, ...defaults } = env;
    const activitiesBefore = farm.stats().activityIds;
    server = startProcess(defaults);
    await waitForHealth(url, server);
    const push = await postArticle(url, ADMIN_TOKEN, {
      headline: "Third story",
      bodyHtml: "<p>Text</p>",
      feeds: ["world"],
    });
    expect(push.status).toBe(201);
    const { id } = (await push.json()) as ArticleOutput;
    const activityId = `${url}/ap/feeds/world/articles/${id}/revisions/1/create`;
    await farm.waitUntil(() => farm.hostsThatReceived(activityId) >= 5, 60_000);
    server.child.kill("SIGKILL");
    await server.exited;
    expect(farm.hostsThatReceived(activityId)).toBeLessThan(FOLLOWERS);

    server = startProcess({ ...defaults, LOG_LEVEL: "info" });
    await waitForHealth(url, server);
    const restartedAt = Date.now();
    await farm.waitForAllHosts(activityId, 50_000);
    expect(Date.now() - restartedAt).toBeLessThan(30_000);
    expect(server.output()).toMatch(/took over the work of a consumer that is gone/);
    expect(farm.hostsThatReceived(activityId)).toBe(FOLLOWERS);
    // One activity however often its deliveries were attempted.
    expect(farm.stats().activityIds).toBe(activitiesBefore + 1);
  });
});
