import type { DocumentLoader } from "@fedify/fedify";
import { serve } from "@hono/node-server";
import { createApp } from "../../src/app.ts";
import type { DeliverySender } from "../../src/config.ts";
import { createDeps, type DepsConfig, systemClock } from "../../src/deps.ts";
import type { Clock } from "../../src/domain/ports.ts";
import { nodeMetricsFor } from "../../src/entries/node/metrics.ts";
import { directOutboxSender } from "../../src/federation/direct-delivery.ts";
import { createFederationRuntime, type FederationRuntime } from "../../src/federation/runtime.ts";
import { type Logger, silentLogger } from "../../src/logger.ts";
import { parseFeedDefinitions } from "../../src/schemas/feed-definitions.ts";
import type { Db } from "../../src/storage/database.ts";
import { syncFeedDefinitions } from "../../src/storage/feed-sync.ts";
import { createStores } from "../../src/storage/stores.ts";
import { createTestDatabase, type DatabaseKind, type TestDatabase } from "./databases.ts";
import { freePort } from "./free-port.ts";
import { ADMIN_TOKEN, shippedFeedFiles } from "./test-app.ts";

export interface FederatedServerOptions {
  /** Default true, as every test peer is on loopback; false is production's setting. */
  readonly allowPrivateAddress?: boolean;
  /** Fetches remote documents in place of Fedify (see documentLoaderForTests). */
  readonly documentLoader?: DocumentLoader;
  /** Default: silent. */
  readonly logger?: Logger;
  /** AUTHORIZED_FETCH (default false). */
  readonly authorizedFetch?: boolean;
  /** Settings on top of the test defaults (e.g. `inboxRateLimit`). */
  readonly config?: Partial<DepsConfig>;
  /** METRICS_TOKEN: metrics on, `GET /metrics` for this bearer token. */
  readonly metricsToken?: string;
  /** The app's and relay's clock (default: the system's), so a test can move time past embargoes. */
  readonly clock?: Clock;
  /** Deliveries in flight at once (default 8). */
  readonly deliveryConcurrency?: number;
  /** The handle the app's stores use, given the test database's (e.g. one counting statements). */
  readonly storesDatabase?: (db: Db) => Db;
}

export interface FederatedServer {
  readonly url: string;
  readonly host: string;
  readonly database: TestDatabase;
  readonly runtime: FederationRuntime;
  admin(method: string, path: string, body?: unknown): Promise<Response>;
  /** Waits (bounded) until the outbox is relayed and the delivery queue is empty. */
  settle(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * The whole app with federation on a real loopback socket (peers must reach our actors and
 * keys over HTTP), deliveries running in-process as under `npm start` (and, like it, sent
 * directly in the plain case unless `sender` is "fedify"; see DELIVERY_SENDER).
 */
export async function startFederatedServer(
  kind: DatabaseKind,
  sender: DeliverySender = "direct",
  options: FederatedServerOptions = {},
): Promise<FederatedServer> {
  const logger = options.logger ?? silentLogger;
  const database = await createTestDatabase(kind);
  await syncFeedDefinitions(
    database.db,
    parseFeedDefinitions(await shippedFeedFiles()),
    new Date(),
  );
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const stores = createStores(options.storesDatabase?.(database.db) ?? database.db);
  const metrics = nodeMetricsFor(
    { metricsToken: options.metricsToken, metricsPort: undefined },
    stores,
    logger,
  );
  const runtime = await createFederationRuntime({
    ...(metrics ? { metrics: metrics.metrics } : {}),
    storage: stores.federation,
    publicUrl: url,
    logger,
    clock: options.clock ?? systemClock,
    databaseUrl: database.url,
    allowPrivateAddress: options.allowPrivateAddress ?? true,
    deliveryConcurrency: options.deliveryConcurrency ?? 8,
    authorizedFetch: options.authorizedFetch ?? false,
    ...(sender === "direct" ? { outboxSender: directOutboxSender(url, logger) } : {}),
    ...(options.documentLoader ? { documentLoaderForTests: options.documentLoader } : {}),
  });
  const deps = createDeps({
    config: {
      publicUrl: url,
      adminToken: ADMIN_TOKEN,
      maxBodyBytes: 1024 * 1024,
      feedItemLimit: 50,
      ...options.config,
    },
    stores,
    logger,
    federation: runtime,
    ...(options.clock ? { clock: options.clock } : {}),
    ...(metrics ? { metrics: metrics.metrics } : {}),
    ...(metrics?.endpoint ? { metricsEndpoint: metrics.endpoint } : {}),
  });
  const app = createApp(deps);
  const server = serve({ fetch: app.fetch, port, hostname: "127.0.0.1" });
  const delivery = new AbortController();
  // As `npm start` runs them (src/entries/node/server.ts): deliveries and WebSub distribution.
  const working = Promise.all([
    runtime.runDelivery(delivery.signal),
    deps.websubDistribution.run(delivery.signal),
  ]);

  const pending = async () => {
    const { db } = database;
    const outbox = await db
      .selectFrom("federationOutbox")
      .select((eb) => eb.fn.countAll<string>().as("n"))
      .where("processedAt", "is", null)
      .where("availableAt", "<=", new Date())
      .executeTakeFirstOrThrow();
    const queue = await db
      .selectFrom("fedifyMessages")
      .select((eb) => eb.fn.countAll<string>().as("n"))
      .executeTakeFirstOrThrow();
    return Number(outbox.n) + Number(queue.n);
  };

  return {
    url,
    host: `127.0.0.1:${port}`,
    database,
    runtime,
    admin: (method, path, body) =>
      fetch(new URL(path, url), {
        method,
        headers: {
          authorization: `Bearer ${ADMIN_TOKEN}`,
          ...(body === undefined ? {} : { "content-type": "application/json" }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      }),
    async settle(timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      while ((await pending()) > 0) {
        if (Date.now() > deadline) throw new Error(`work still pending after ${timeoutMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    },
    async close() {
      delivery.abort();
      await working;
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await database.destroy();
    },
  };
}
