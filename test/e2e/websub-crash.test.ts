import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type ServerResponse } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseFeedDefinitions } from "../../src/schemas/feed-definitions.ts";
import { createDatabase, type Db } from "../../src/storage/database.ts";
import { syncFeedDefinitions } from "../../src/storage/feed-sync.ts";
import { migrateToLatest } from "../../src/storage/migrate.ts";
import { createTestDatabase } from "../support/databases.ts";
import { freePort } from "../support/free-port.ts";
import {
  killAll,
  postArticle,
  type ServerProcess,
  startProcess,
  waitForHealth,
} from "../support/node-process.ts";
import { ADMIN_TOKEN, shippedFeedFiles } from "../support/test-app.ts";

/** Answer at once; the rest hold their POST until the server is killed. */
const FAST = 20;
const SLOW = 20;
const SUBSCRIBERS = FAST + SLOW;

/** One loopback server for every callback (`/cb/N`), recording what each one received. */
async function startCallbacks() {
  const port = await freePort();
  const received = Array.from({ length: SUBSCRIBERS }, () => ({
    posts: 0,
    answered: [] as string[],
  }));
  const held = new Set<ServerResponse>();
  let holdSlow = true;
  let waiters: (() => void)[] = [];
  const server = createServer((request, response) => {
    const n = Number(new URL(request.url ?? "/", "http://x").pathname.split("/")[2]);
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const record = received[n];
      if (!record) {
        response.writeHead(404).end();
        return;
      }
      record.posts++;
      const body = Buffer.concat(chunks).toString("utf8");
      if (n >= FAST && holdSlow) {
        // Held until the hub's process dies and the connection with it: never answered.
        held.add(response);
        response.on("close", () => held.delete(response));
      } else {
        response.writeHead(204).end();
        record.answered.push(body);
      }
      for (const wake of waiters.splice(0)) wake();
    });
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  return {
    callback: (n: number) => `http://127.0.0.1:${port}/cb/${n}`,
    host: `127.0.0.1:${port}`,
    received,
    held,
    answerEveryone: () => {
      holdSlow = false;
    },
    async until(condition: () => boolean, timeoutMs: number) {
      const deadline = Date.now() + timeoutMs;
      while (!condition()) {
        if (Date.now() > deadline) throw new Error("callbacks did not receive in time");
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 200);
        });
      }
      waiters = [];
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * `kill -9` the server while it distributes a new document to 40 WebSub subscribers, 20 of them
 * holding their POST unanswered: after a restart, every subscriber has accepted the document
 * exactly once, and those that had accepted it before the crash get nothing more.
 */
describe.each(["postgres", "pglite"] as const)(
  "a crash in the middle of a WebSub distribution on %s",
  (kind) => {
    let callbacks: Awaited<ReturnType<typeof startCallbacks>>;
    let url: string;
    let env: Record<string, string>;
    const processes: ServerProcess[] = [];
    const cleanups: (() => Promise<void>)[] = [];

    beforeAll(async () => {
      callbacks = await startCallbacks();
      const port = await freePort();
      url = `http://127.0.0.1:${port}`;
      // The server's database, prepared with the feeds and verified subscriptions (as the hub
      // stores them once intent is confirmed) before the server starts.
      let db: Db;
      let where: Record<string, string>;
      if (kind === "postgres") {
        const database = await createTestDatabase("postgres");
        cleanups.push(() => database.destroy());
        db = database.db;
        where = { DATABASE_URL: database.url ?? "" };
      } else {
        const dataDir = await mkdtemp(join(tmpdir(), "tidings-websub-crash-"));
        cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
        db = createDatabase({ dataDir });
        await migrateToLatest(db);
        where = { DATA_DIR: dataDir };
      }
      await syncFeedDefinitions(db, parseFeedDefinitions(await shippedFeedFiles()), new Date());
      const now = new Date();
      await db
        .insertInto("websubSubscriptions")
        .values(
          Array.from({ length: SUBSCRIBERS }, (_, n) => ({
            feedSlug: "world",
            format: "rss",
            topic: `${url}/feeds/world.rss`,
            callback: callbacks.callback(n),
            callbackHost: callbacks.host,
            secret: null,
            leaseSeconds: 86_400,
            expiresAt: new Date(now.getTime() + 86_400_000),
            verifiedAt: now,
          })),
        )
        .execute();
      // PGlite's files belong to one process: the server's, from here on.
      if (kind === "pglite") await db.destroy();
      env = {
        PORT: String(port),
        PUBLIC_URL: url,
        ...where,
        ADMIN_TOKEN,
        FEDERATION_ALLOW_PRIVATE_ADDRESS: "true",
        WEBSUB_TIMEOUT_MS: "60000",
        WEBSUB_CONCURRENCY: "8",
        LOG_LEVEL: "info",
      };
    });
    afterAll(async () => {
      await killAll(processes);
      await callbacks?.close();
      for (const cleanup of cleanups.reverse()) await cleanup();
    });

    const start = async () => {
      const server = startProcess(env);
      processes.push(server);
      await waitForHealth(url, server);
      return server;
    };

    /** Subscriptions whose last delivery the hub recorded as accepted (the admin API). */
    const recordedAccepted = async () => {
      const response = await fetch(`${url}/admin/websub/subscriptions?feed=world`, {
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      });
      const { items } = (await response.json()) as { items: { lastDeliveryResult: string }[] };
      return items.filter((item) => item.lastDeliveryResult === "204").length;
    };

    it("delivers the new document to every subscriber once", async () => {
      const first = await start();
      const push = await postArticle(url, ADMIN_TOKEN, {
        headline: "Crash-safe pings",
        bodyHtml: "<p>Text</p>",
        feeds: ["world"],
      });
      expect(push.status).toBe(201);

      // Mid-distribution: the fast subscribers have it (and the hub has recorded that), slow ones
      // hold POSTs in flight, and the rest of the slow ones' jobs still wait in the queue.
      await callbacks.until(
        () => callbacks.received.slice(0, FAST).every((r) => r.answered.length === 1),
        30_000,
      );
      // Every slot (WEBSUB_CONCURRENCY) holds a POST; no other can start before the kill.
      await callbacks.until(() => callbacks.held.size === 8, 30_000);
      const deadline = Date.now() + 30_000;
      while ((await recordedAccepted()) < FAST && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(await recordedAccepted()).toBe(FAST);
      const heldAtCrash = callbacks.held.size;
      expect(heldAtCrash).toBe(8);
      first.child.kill("SIGKILL");
      await first.exited;

      callbacks.answerEveryone();
      const second = await start();
      await callbacks.until(() => callbacks.received.every((r) => r.answered.length >= 1), 60_000);
      // Settled: every job done, nothing more to come.
      const settled = Date.now() + 30_000;
      while ((await recordedAccepted()) < SUBSCRIBERS && Date.now() < settled) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(await recordedAccepted()).toBe(SUBSCRIBERS);

      for (const [n, record] of callbacks.received.entries()) {
        expect(record.answered, `subscriber ${n}`).toHaveLength(1);
        expect(record.answered[0]).toContain("Crash-safe pings");
      }
      // Fast ones were never sent it again; slow ones once more only if their POST was cut off.
      const fastPosts = callbacks.received.slice(0, FAST).reduce((sum, r) => sum + r.posts, 0);
      expect(fastPosts).toBe(FAST);
      const resent = callbacks.received.slice(FAST).filter((r) => r.posts === 2).length;
      expect(resent).toBe(heldAtCrash);
      expect(second.output()).toMatch(/took over the work of a consumer that is gone/);
    });
  },
);
