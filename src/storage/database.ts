import {
  CamelCasePlugin,
  type Dialect,
  Kysely,
  PGliteDialect,
  PostgresDialect,
  type PostgresPool,
} from "kysely";
import pg from "pg";
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
}

export type Db = Kysely<Database>;

export function createDatabase(options: DatabaseOptions): Db {
  const dialect = options.pool
    ? new PostgresDialect({ pool: options.pool })
    : options.databaseUrl
      ? postgresDialect(options.databaseUrl, options.poolSize ?? 10)
      : pgliteDialect(options.dataDir ?? "./data");
  // Column names are converted, but never the keys inside JSON values (a JWK's `key_ops`, an
  // ActivityStreams document's properties): those are data, not schema.
  return new Kysely<Database>({
    dialect,
    plugins: [new CamelCasePlugin({ maintainNestedObjectKeys: true })],
  });
}

function postgresDialect(connectionString: string, max: number): Dialect {
  return new PostgresDialect({ pool: new pg.Pool({ connectionString, max }) });
}

class SerializedPGliteDialect extends PGliteDialect {
  override createDriver() {
    return new SerializedDriver(super.createDriver());
  }
}

function pgliteDialect(dataDir: string): Dialect {
  return new SerializedPGliteDialect({
    // Loaded lazily so runtimes that always use PostgreSQL (Workers) never start the WASM build.
    pglite: async () => {
      const { PGlite } = await import("@electric-sql/pglite");
      return PGlite.create(dataDir);
    },
  });
}
