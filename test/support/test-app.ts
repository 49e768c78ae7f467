import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import type { Hono } from "hono";
import { createApp } from "../../src/app.ts";
import { createDeps, type DepsConfig } from "../../src/deps.ts";
import type { Clock } from "../../src/domain/ports.ts";
import { nodeMetricsFor } from "../../src/entries/node/metrics.ts";
import { silentLogger } from "../../src/logger.ts";
import { parseFeedDefinitions } from "../../src/schemas/feed-definitions.ts";
import { syncFeedDefinitions } from "../../src/storage/feed-sync.ts";
import { createStores } from "../../src/storage/stores.ts";
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
    /** METRICS_TOKEN: metrics on, `GET /metrics` for this bearer token. */
    metricsToken?: string;
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
    ...(metrics ? { metrics: metrics.metrics } : {}),
    ...(metrics?.endpoint ? { metricsEndpoint: metrics.endpoint } : {}),
  });
  const app = createApp(deps);
  return {
    app,
    database,
    deps,
    admin: (method, path, body) => adminRequest(app, method, path, body),
    get: async (path, headers) => app.request(path, { headers }),
    destroy: () => database.destroy(),
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
