import { createServer } from "node:http";
import { getRequestListener } from "@hono/node-server";
import { createApp } from "../../app.ts";
import { createDeps } from "../../deps.ts";
import { createLogger } from "../../logger.ts";
import { listenForFeedChanges } from "../../storage/feed-change-notifications.ts";
import { createStores } from "../../storage/stores.ts";
import { withFeedFastPath } from "./feed-fast-path.ts";
import { nodeMetricsFor, serveMetricsPort } from "./metrics.ts";
import {
  federationRuntimeFor,
  loadFeeds,
  openDatabase,
  openTelemetryFor,
  readConfigOrExit,
  websubOptionsFromConfig,
} from "./setup.ts";

/** Connections the kernel may hold for us before accept(); see server.listen below. */
const LISTEN_BACKLOG = 4096;

/** Node entry: read config once, prepare the database, serve, and shut down cleanly. */
async function main(): Promise<void> {
  const config = readConfigOrExit();
  const logger = createLogger(config.logLevel);
  // Until the server is up, a signal only has to end the wait for the database.
  const starting = new AbortController();
  const abortStart = (signal: string) => {
    logger.info(`${signal}: stopping before start-up finished`);
    starting.abort(signal);
  };
  process.once("SIGTERM", abortStart);
  process.once("SIGINT", abortStart);
  const db = await openDatabase(config, logger, starting.signal);
  if (!db) process.exit(0);
  await loadFeeds(config, db, logger);

  const stores = createStores(db);
  const metrics = nodeMetricsFor(config, stores, logger);
  const telemetry = await openTelemetryFor(config, logger);
  const federation = await federationRuntimeFor(
    config,
    stores,
    logger,
    metrics?.metrics,
    telemetry,
  );
  const deps = createDeps({
    config,
    stores,
    logger,
    federation,
    websub: websubOptionsFromConfig(config, federation.data.addressGuard),
    ...(metrics ? { metrics: metrics.metrics } : {}),
    ...(metrics?.endpoint ? { metricsEndpoint: metrics.endpoint } : {}),
  });
  // Deliveries run in this process by default; `npm run delivery` adds more consumers.
  const delivery = new AbortController();
  const working = Promise.all([
    federation.runDelivery(delivery.signal),
    deps.websubDistribution.run(delivery.signal),
  ]);
  // Other app processes on the same PostgreSQL announce their changes; PGlite has no others.
  const listener = config.databaseUrl
    ? listenForFeedChanges({
        databaseUrl: config.databaseUrl,
        origin: deps.instanceId,
        logger,
        onChange: deps.onExternalFeedChange,
      })
    : undefined;
  const app = createApp(deps);
  const server = createServer(
    withFeedFastPath(
      deps.feedDocuments,
      getRequestListener(app.fetch),
      metrics?.fastPath,
      deps.articlePages,
    ),
  );
  const metricsServer = await serveMetricsPort(config, metrics, logger);
  // A Create to thousands of followers has their servers fetch the story's page within seconds,
  // each on a new connection. With Node's default backlog (511) the kernel drops the connections
  // that arrive while the event loop is busy with the publish, and clients retry only after 1 s
  // (the preview stampede's p99 was 1.1 s). The kernel caps this at net.core.somaxconn.
  server.listen({ port: config.port, backlog: LISTEN_BACKLOG }, () => {
    logger.info(`Tidings is serving ${config.publicUrl} (listening on port ${config.port})`);
  });
  if (!config.adminToken) {
    logger.warn(
      "ADMIN_TOKEN is not set: the admin API refuses every request. Set one, e.g. ADMIN_TOKEN=$(openssl rand -hex 32) npm start, or put it in .env",
    );
  }

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info(`${signal}: finishing requests in flight, then stopping`);
    delivery.abort();
    metricsServer?.close();
    server.close(async () => {
      await working;
      await telemetry?.shutdown();
      await listener?.close();
      await db.destroy();
      process.exit(0);
    });
    // Idle keep-alive connections would hold close() open; busy ones get a grace period.
    server.closeIdleConnections();
    setTimeout(() => process.exit(0), 30_000).unref();
  };
  process.off("SIGTERM", abortStart);
  process.off("SIGINT", abortStart);
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
  // A signal that came after the wait for the database but before this point.
  if (starting.signal.aborted) stop(String(starting.signal.reason));
}

await main();
