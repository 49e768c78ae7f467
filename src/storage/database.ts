import {
  CamelCasePlugin,
  type Dialect,
  Kysely,
  PGliteDialect,
  PostgresDialect,
  type PostgresPool,
} from "kysely";
import pg from "pg";
import { type Logger, silentLogger } from "../logger.ts";
import { unavailableReason } from "./database-unavailable.ts";
import type { Database } from "./schema.ts";
import { SerializedDriver } from "./serialized-driver.ts";

export interface DatabaseOptions {
  /** PostgreSQL connection string; when unset, an embedded PGlite database is used. */
  readonly databaseUrl?: string | undefined;
  /** Where PGlite keeps its files (`memory://` for a throwaway in-memory database). */
  readonly dataDir?: string | undefined;
  /** Connection pool size for PostgreSQL. */
  readonly poolSize?: number | undefined;
  /**
   * A PostgreSQL pool of the caller's own, used instead of `databaseUrl` (the Worker hands out
   * a pool per invocation, as Hyperdrive expects).
   */
  readonly pool?: PostgresPool | undefined;
  /** Told when the pool drops a connection the server closed (restart, failover, proxy timeout). */
  readonly logger?: Logger | undefined;
}

export type Db = Kysely<Database>;

/** Databases that are embedded PGlite: one process owns the data directory. */
const embedded = new WeakSet<Db>();

/** True for an embedded PGlite database (no other process can be using it). */
export function isEmbeddedDatabase(db: Db): boolean {
  return embedded.has(db);
}

export function createDatabase(options: DatabaseOptions): Db {
  const dialect = options.pool
    ? new PostgresDialect({ pool: options.pool })
    : options.databaseUrl
      ? postgresDialect(options.databaseUrl, options.poolSize ?? 10, options.logger)
      : pgliteDialect(options.dataDir ?? "./data");
  // Column names are converted, but never the keys inside JSON values (a JWK's `key_ops`, an
  // ActivityStreams document's properties): those are data, not schema.
  const db = new Kysely<Database>({
    dialect,
    plugins: [new CamelCasePlugin({ maintainNestedObjectKeys: true })],
  });
  if (!options.pool && !options.databaseUrl) embedded.add(db);
  return db;
}

/**
 * Longest wait for a connection, new or from a full pool. Refused connections fail at once;
 * this bounds the other outages (a host that vanished, a saturated pool), so requests and
 * `/healthz` answer 503 in seconds instead of hanging.
 */
const CONNECT_TIMEOUT_MS = 5_000;

/** Options for every connection Tidings opens to PostgreSQL (pooled or LISTEN). */
export function connectionOptions(connectionString: string): pg.ClientConfig {
  return {
    connectionString,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    // Notices a peer that vanished without closing the socket (a failover to another host)
    // on idle and LISTEN connections, instead of waiting for the next statement to hang.
    keepAlive: true,
    keepAliveInitialDelayMillis: 30_000,
  };
}

function postgresDialect(connectionString: string, max: number, logger?: Logger): Dialect {
  const pool = new pg.Pool({ ...connectionOptions(connectionString), max });
  return new PostgresDialect({ pool: handlePoolErrors(pool, logger ?? silentLogger) });
}

/**
 * A pg pool without these listeners turns a server-side disconnect into an uncaught 'error'
 * event, which ends the process. With them, a lost connection is dropped and the next checkout
 * opens a fresh one; the statement in flight (if any) fails with the error instead.
 */
export function handlePoolErrors<P extends pg.Pool>(pool: P, logger: Logger): P {
  // An idle connection was closed: the pool has already discarded it.
  pool.on("error", (error) => {
    const reason = unavailableReason(error);
    if (reason)
      logger.warn(`database connection closed by the server (${reason}); reconnecting on demand`);
    else logger.warn("database connection failed", { error });
  });
  // A checked-out connection was closed: its query rejects with the same error, and the pool
  // discards it on release. Without a listener the client's 'error' event would be uncaught.
  pool.on("connect", (client) => {
    client.on("error", () => {});
  });
  return pool;
}

class SerializedPGliteDialect extends PGliteDialect {
  override createDriver() {
    return new SerializedDriver(super.createDriver());
  }
}

/**
 * PostgreSQL settings for the embedded database, on top of PGlite's own. Its shared buffers
 * live in the process's WASM memory, which never shrinks: initdb's default of 128 MB for a
 * server of 100 connections is most of the embedded default's resident memory, and one
 * process with one connection needs far less (the operating system's page cache still holds
 * the data files). Measured by `npm run bench -- serving` (bench/README.md).
 */
const PGLITE_SETTINGS = ["-c", "shared_buffers=16MB", "-c", "wal_buffers=1MB"];

function pgliteDialect(dataDir: string): Dialect {
  return new SerializedPGliteDialect({
    // Loaded lazily so runtimes that always use PostgreSQL (Workers) never start the WASM build.
    pglite: async () => {
      const { PGlite } = await import("@electric-sql/pglite");
      return PGlite.create(dataDir, {
        startParams: [...PGlite.defaultStartParams, ...PGLITE_SETTINGS],
      });
    },
  });
}
