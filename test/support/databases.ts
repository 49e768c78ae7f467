/**
 * Fresh, fully migrated databases for tests, on both engines Tidings runs on.
 *
 * postgres: a new database `tidings_test_<hex>` on the server from test/global-setup.ts
 * (or TEST_DATABASE_URL), dropped again by destroy(). pglite: an in-memory PGlite instance.
 */
import { randomBytes } from "node:crypto";
import type { Kysely } from "kysely";
import pg from "pg";
import { inject } from "vitest";
import { createDatabase } from "../../src/storage/database.ts";
import { migrateToLatest } from "../../src/storage/migrate.ts";
import type { Database } from "../../src/storage/schema.ts";

export type DatabaseKind = "postgres" | "pglite";

export const DATABASE_KINDS: readonly DatabaseKind[] = ["postgres", "pglite"];

export interface TestDatabase {
  readonly kind: DatabaseKind;
  readonly db: Kysely<Database>;
  /** for postgres only: the URL of this fresh database */
  readonly url: string | undefined;
  /** Closes the connections and, for postgres, drops the database. Safe to call twice. */
  destroy(): Promise<void>;
}

export async function createTestDatabase(kind: DatabaseKind): Promise<TestDatabase> {
  return kind === "postgres" ? createPostgresDatabase() : createPgliteDatabase();
}

async function createPgliteDatabase(): Promise<TestDatabase> {
  const db = createDatabase({ dataDir: "memory://" });
  const destroy = once(() => db.destroy());
  try {
    await migrateToLatest(db);
  } catch (error) {
    await destroy().catch(() => {});
    throw error;
  }
  return { kind: "pglite", db, url: undefined, destroy };
}

/**
 * A new, empty database `<prefix>_<hex>` on the test server (test/global-setup.ts or
 * TEST_DATABASE_URL); `drop()` removes it, connections and all.
 */
export async function createEmptyPostgresDatabase(
  prefix: string,
): Promise<{ url: string; drop(): Promise<void> }> {
  const adminUrl = inject("postgresAdminUrl");
  const name = `${prefix}_${randomBytes(8).toString("hex")}`;
  await admin(adminUrl, `CREATE DATABASE "${name}"`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: () => admin(adminUrl, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`),
  };
}

async function createPostgresDatabase(): Promise<TestDatabase> {
  const empty = await createEmptyPostgresDatabase("tidings_test");
  const databaseUrl = empty.url;
  const db = createDatabase({ databaseUrl });
  const destroy = once(async () => {
    try {
      await db.destroy();
    } finally {
      await empty.drop();
    }
  });
  try {
    await migrateToLatest(db);
  } catch (error) {
    await destroy().catch(() => {});
    throw error;
  }
  return { kind: "postgres", db, url: databaseUrl, destroy };
}

/** Runs one statement on the admin database over a short-lived connection. */
async function admin(adminUrl: string, statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  // A server that drops the connection rejects the statement; the 'error' event must not crash.
  client.on("error", () => {});
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

function once(fn: () => Promise<void>): () => Promise<void> {
  let result: Promise<void> | undefined;
  return () => {
    result ??= fn();
    return result;
  };
}
