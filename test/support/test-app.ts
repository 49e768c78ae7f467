import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import type { Hono } from "hono";
import { sql } from "kysely";
import { createApp } from "../../src/app.ts";
import { createDeps, type DepsConfig } from "../../src/deps.ts";
import type { Clock } from "../../src/domain/ports.ts";
import { nodeMetricsFor } from "../../src/entries/node/metrics.ts";
import { silentLogger } from "../../src/logger.ts";
import { parseFeedDefinitions } from "../../src/schemas/feed-definitions.ts";
import { syncFeedDefinitions } from "../../src/storage/feed-sync.ts";
import { createStores } from "../../src/storage/stores.ts";
import { WEBSUB_QUEUE } from "../../src/storage/websub-distribution-store.ts";
import { createTestDatabase, type DatabaseKind, type TestDatabase } from "./databases.ts";

export const ADMIN_TOKEN = "test-admin-token-0123456789abcdef";
export const PUBLIC_URL = "https://news.example";

export interface TestApp {
  readonly app: Hono;
  readonly database: TestDatabase;
  readonly deps: ReturnType<typeof createDeps>;
  /** An authenticated admin request with a JSON body. */
  admin(method: string, path: string, body?: unknown): Promise<Response>;
  get(path: string, headers?: Record<string, string>): Promise<Response>;
  /**
   * Resolves once no WebSub job is due or running (retries waiting for their backoff and
   * scheduled topic jobs do not count). Only with `runWebSub`.
   */
  websubSettled(): Promise<void>;
  destroy(): Promise<void>;
}

/** A settable clock, so tests can schedule articles and move time on. */
export function fixedClock(
  start: Date,
): Clock & { set(date: Date): void; advance(ms: number): void } {
  let current = start;
  return {
    now: () => current,
    set: (date) => {
      current = date;
    },
    advance: (ms) => {
      current = new Date(current.getTime() + ms);
    },
  };
}

/** The whole app on a fresh database of the given kind, with the shipped `feeds/` synced. */
export async function createTestApp(
  kind: DatabaseKind,
  options: {
    config?: Partial<DepsConfig>;
    clock?: Clock;
    websub?: Parameters<typeof createDeps>[0]["websub"];
    /** Run the WebSub distribution's queue consumer, as the server does. */
    runWebSub?: boolean;
    /** METRICS_TOKEN: metrics on, `GET /metrics` for this bearer token. */
    metricsToken?: string;
    /** Told of every article page render (createDeps' onArticlePageRender). */
    onArticlePageRender?: (articleId: string) => void;
  } = {},
): Promise<TestApp> {
  const database = await createTestDatabase(kind);
  await syncFeedDefinitions(
    database.db,
    parseFeedDefinitions(await shippedFeedFiles()),
    options.clock?.now() ?? new Date(),
  );
  const config: DepsConfig = {
    publicUrl: PUBLIC_URL,
    adminToken: ADMIN_TOKEN,
    maxBodyBytes: 256 * 1024,
    feedItemLimit: 50,
    ...options.config,
  };
  const stores = createStores(database.db);
  const metrics = nodeMetricsFor(
    { metricsToken: options.metricsToken, metricsPort: undefined },
    stores,
    silentLogger,
  );
  const deps = createDeps({
    config,
    stores,
    logger: silentLogger,
    clock: options.clock,
    ...(options.websub ? { websub: options.websub } : {}),
    ...(options.onArticlePageRender ? { onArticlePageRender: options.onArticlePageRender } : {}),
    ...(metrics ? { metrics: metrics.metrics } : {}),
    ...(metrics?.endpoint ? { metricsEndpoint: metrics.endpoint } : {}),
  });
  const app = createApp(deps);
  const stopWebSub = new AbortController();
  const websubRunning = options.runWebSub
    ? deps.websubDistribution.run(stopWebSub.signal)
    : Promise.resolve();
  return {
    app,
    database,
    deps,
    admin: (method, path, body) => adminRequest(app, method, path, body),
    get: async (path, headers) => app.request(path, { headers }),
    websubSettled: () => websubQueueSettled(database),
    destroy: async () => {
      stopWebSub.abort();
      await websubRunning;
      await database.destroy();
    },
  };
}

/** An admin API request through the app, with ADMIN_TOKEN and a JSON body. */
export async function adminRequest(
  app: Hono,
  method: string,
  path: string,
  body?: unknown,
): Promise<Response> {
  return app.request(path, {
    method,
    headers: {
      authorization: `Bearer ${ADMIN_TOKEN}`,
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

export async function shippedFeedFiles() {
  const dir = join(import.meta.dirname, "../../feeds");
  const names = (await readdir(dir)).filter((name) => name.endsWith(".json")).sort();
  return Promise.all(
    names.map(async (name) => ({
      name: `feeds/${name}`,
      text: await readFile(join(dir, name), "utf8"),
    })),
  );
}

/** Waits (polling the queue table) until no WebSub job is due now or leased. */
async function websubQueueSettled(database: TestDatabase, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const { rows } = await sql<{ n: number }>`
      select count(*)::int as n from fedify_messages
      where queue = ${WEBSUB_QUEUE} and (available_at <= now() or locked_until > now())
    `.execute(database.db);
    if (rows[0]?.n === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`WebSub jobs still due after ${timeoutMs} ms`);
}
