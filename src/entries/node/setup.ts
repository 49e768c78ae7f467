import { existsSync, readFileSync } from "node:fs";
import { mkdir, readdir, readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { setFlagsFromString } from "node:v8";
import { type Config, ConfigError, parseConfig } from "../../config.ts";
import { systemClock, type WebSubOptions } from "../../deps.ts";
import type { AddressGuard } from "../../federation/address-guard.ts";
import { directOutboxSender } from "../../federation/direct-delivery.ts";
import { SOFTWARE } from "../../federation/federation.ts";
import { directSenderFits } from "../../federation/fedify-internals.ts";
import { guardGlobalFetch } from "../../federation/guarded-fetch.ts";
import { KeepAlivePoster } from "../../federation/keep-alive-poster.ts";
import {
  createFederationRuntime,
  type FederationRuntime,
  federationOptionsFromConfig,
} from "../../federation/runtime.ts";
import type { Logger } from "../../logger.ts";
import type { Metrics } from "../../observability/metrics.ts";
import type { OpenTelemetry } from "../../observability/open-telemetry.ts";
import { FeedDefinitionError, parseFeedDefinitions } from "../../schemas/feed-definitions.ts";
import { createDatabase, type Db } from "../../storage/database.ts";
import { syncFeedDefinitions } from "../../storage/feed-sync.ts";
import { migrateToLatest } from "../../storage/migrate.ts";
import { databaseAddress, retryWhileUnavailable } from "../../storage/retry-while-unavailable.ts";
import type { Stores } from "../../storage/stores.ts";

/**
 * Opens the configured database (creating DATA_DIR for PGlite) and applies pending migrations.
 * A PostgreSQL that is not reachable yet is waited for (see retryWhileUnavailable); undefined
 * when `signal` ended that wait.
 */
export async function openDatabase(
  config: Config,
  logger: Logger,
  signal?: AbortSignal,
): Promise<Db | undefined> {
  if (!config.databaseUrl) {
    compileWasmWithLiftoffOnly();
    await mkdir(config.dataDir, { recursive: true });
  }
  const db = createDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, logger });
  const migrated = await retryWhileUnavailable(() => migrateToLatest(db), {
    address: config.databaseUrl ? databaseAddress(config.databaseUrl) : config.dataDir,
    logger,
    signal,
  });
  if (!migrated.ok) {
    await db.destroy();
    return undefined;
  }
  for (const applied of migrated.value.results ?? [])
    logger.info(`migration ${applied.migrationName} applied`);
  logger.info(
    config.databaseUrl
      ? "database: PostgreSQL (DATABASE_URL)"
      : `database: embedded PGlite in ${config.dataDir}`,
  );
  return db;
}

/**
 * PGlite is PostgreSQL built to a 9 MB WASM module, compiled in this process when the database
 * first opens. V8 compiles WASM with Liftoff, then compiles the hot functions again with
 * TurboFan: that second tier's code and compiler memory cost about 70 MiB of resident memory
 * (PGlite on an existing data directory after inserts, scans and updates: peak 221 -> 141 MiB;
 * creating the data directory: 793 -> 534 MiB), and the database work was no slower without it
 * on two cores (the tier-up competes with the queries for the CPU). So this process compiles
 * WASM with Liftoff only. Set before the module compiles; the only other WASM here is undici's
 * small HTTP parser. Node only: Workers never run PGlite. Measured by `npm run bench -- serving`.
 */
function compileWasmWithLiftoffOnly(): void {
  setFlagsFromString("--liftoff-only");
}

/** Reads, validates and syncs `feeds/*.json`; exits with every problem listed if any is invalid. */
export async function loadFeeds(config: Config, db: Db, logger: Logger): Promise<void> {
  const names = (await readdir(config.feedsDir)).filter((name) => name.endsWith(".json")).sort();
  const files = await Promise.all(
    names.map(async (name) => ({
      name: join(config.feedsDir, name),
      text: await readFile(join(config.feedsDir, name), "utf8"),
    })),
  );
  try {
    const changed = await syncFeedDefinitions(
      db,
      parseFeedDefinitions(files),
      new Date(),
      (slug, feedSlug) =>
        logger.warn(
          `feeds: skipped the definition of "${slug}", which was renamed to "${feedSlug}"; rename its file's slug to apply it`,
        ),
    );
    if (changed.length > 0)
      logger.info(`feeds synced from ${config.feedsDir}: ${changed.join(", ")}`);
  } catch (error) {
    if (error instanceof FeedDefinitionError) {
      logger.error(error.message);
      process.exit(1);
    }
    throw error;
  }
}

/** Reads the configuration from the process environment; prints every problem and exits if any. */
export function readConfigOrExit(): Config {
  try {
    // The Node entry is the one place that hands the environment to the config parser.
    return parseConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }
}

/**
 * The direct sender when DELIVERY_SENDER=direct and the installed Fedify is the release it reads
 * the queue of; otherwise none (Fedify sends every POST), with one line saying why.
 */
export function directSenderFor(
  config: Pick<Config, "deliverySender" | "deliverySigning" | "publicUrl">,
  logger: Logger,
  fedifyVersion: string | undefined,
): { outboxSender?: ReturnType<typeof directOutboxSender> } {
  if (config.deliverySender !== "direct") return {};
  const fits = directSenderFits(fedifyVersion);
  if (!fits.ok) {
    logger.warn(`DELIVERY_SENDER=direct: ${fits.reason}; Fedify's own sender sends every POST`);
    return {};
  }
  return {
    outboxSender: directOutboxSender(config.publicUrl, logger, config.deliverySigning),
  };
}

/** The version in the installed @fedify/fedify's package.json (not among its exports). */
export function installedFedifyVersion(): string | undefined {
  try {
    let dir = dirname(createRequire(import.meta.url).resolve("@fedify/fedify"));
    for (let depth = 0; depth < 4; depth++, dir = dirname(dir)) {
      const file = join(dir, "package.json");
      if (!existsSync(file)) continue;
      const pkg = JSON.parse(readFileSync(file, "utf8")) as { name?: string; version?: string };
      if (pkg.name === "@fedify/fedify") return pkg.version;
    }
  } catch {
    // Not resolvable: reported as an unknown version.
  }
  return undefined;
}

/**
 * OpenTelemetry for Fedify when OTEL_EXPORTER_OTLP_ENDPOINT is set, loaded only then (a dynamic
 * import: unset, no OpenTelemetry SDK module is even read); undefined otherwise.
 */
export async function openTelemetryFor(
  config: Pick<Config, "otlpEndpoint" | "otelServiceName" | "otelMetricExportIntervalMs">,
  logger: Logger,
): Promise<OpenTelemetry | undefined> {
  if (!config.otlpEndpoint) return undefined;
  const { startOpenTelemetry } = await import("../../observability/open-telemetry.ts");
  logger.info(`OpenTelemetry: Fedify's traces and metrics go to ${config.otlpEndpoint}`);
  return startOpenTelemetry({
    endpoint: config.otlpEndpoint,
    serviceName: config.otelServiceName,
    serviceVersion: SOFTWARE.split("/")[1],
    metricExportIntervalMs: config.otelMetricExportIntervalMs,
    logger,
  });
}

/** Fedify on the configured database, as both the app and `npm run delivery` run it. */
export async function federationRuntimeFor(
  config: Config,
  stores: Stores,
  logger: Logger,
  metrics?: Metrics,
  telemetry?: OpenTelemetry,
): Promise<FederationRuntime> {
  const runtime = await createFederationRuntime({
    ...federationOptionsFromConfig(config),
    metrics,
    telemetry,
    storage: stores.federation,
    logger,
    clock: systemClock,
    ...directSenderFor(config, logger, installedFedifyVersion()),
  });
  // Fedify's own fetches (its sender's retries and redirects too) connect only where the
  // address guard allows.
  guardGlobalFetch(runtime.data.addressGuard);
  return runtime;
}

/**
 * The WebSub hub's limits and its distribution queue, as both Node processes run them; pings
 * go out over keep-alive node:http, connecting only where the address guard allows.
 */
export function websubOptionsFromConfig(config: Config, guard: AddressGuard): WebSubOptions {
  return {
    poster: new KeepAlivePoster({ guard, timeoutMs: config.websubTimeoutMs }),
    limits: {
      subscriptionsPerHost: config.websubMaxSubscriptionsPerHost,
      subscriptions: config.websubMaxSubscriptions,
      timeoutMs: config.websubTimeoutMs,
    },
    concurrency: config.websubConcurrency,
    databaseUrl: config.databaseUrl,
    leaseMs: config.deliveryLeaseMs,
  };
}
