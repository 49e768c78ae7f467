import { createDeps } from "../../deps.ts";
import { createLogger } from "../../logger.ts";
import { createStores } from "../../storage/stores.ts";
import { nodeMetricsFor, serveMetricsPort } from "./metrics.ts";
import {
  federationRuntimeFor,
  openDatabase,
  openTelemetryFor,
  readConfigOrExit,
  websubOptionsFromConfig,
} from "./setup.ts";

/**
 * `npm run delivery`: an extra delivery process. It consumes the same PostgreSQL queue and outbox
 * as the app processes (FOR UPDATE SKIP LOCKED: no message is taken twice). SIGTERM stops it
 * taking work; deliveries in flight finish first.
 */
async function main(): Promise<void> {
  const config = readConfigOrExit();
  const logger = createLogger(config.logLevel);
  if (!config.databaseUrl) {
    // PGlite's files belong to one process: `npm start` already delivers in-process.
    logger.error(
      "npm run delivery needs DATABASE_URL (PostgreSQL); on the embedded database, npm start delivers by itself",
    );
    process.exit(1);
  }
  // Installed first: a signal also ends the wait for a database that is not reachable yet.
  const stop = new AbortController();
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    process.on(signal, () => {
      logger.info(`${signal}: finishing deliveries in flight, then stopping`);
      stop.abort();
    });
  }
  const db = await openDatabase(config, logger, stop.signal);
  if (!db) {
    logger.info("delivery process stopped before the database was reached");
    return;
  }
  const stores = createStores(db);
  // Only METRICS_PORT serves here (this process has no app port); METRICS_TOKEN guards it if set.
  const metrics =
    config.metricsPort === undefined ? undefined : nodeMetricsFor(config, stores, logger);
  const telemetry = await openTelemetryFor(config, logger);
  const runtime = await federationRuntimeFor(config, stores, logger, metrics?.metrics, telemetry);
  // WebSub pings travel on the same database queue; the app's wiring builds their handler.
  const deps = createDeps({
    config,
    stores,
    logger,
    federation: runtime,
    websub: websubOptionsFromConfig(config, runtime.data.addressGuard),
  });
  const metricsServer = await serveMetricsPort(config, metrics, logger);
  logger.info(`delivery process started (concurrency ${config.deliveryConcurrency})`);
  await Promise.all([runtime.runDelivery(stop.signal), deps.websubDistribution.run(stop.signal)]);
  metricsServer?.close();
  await telemetry?.shutdown();
  await db.destroy();
  logger.info("delivery process stopped");
}

await main();
