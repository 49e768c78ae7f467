import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, DATABASE_KINDS, type TestDatabase } from "../support/databases.ts";

describe.each(DATABASE_KINDS)("createTestDatabase(%s)", (kind) => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase(kind);
  });

  afterAll(async () => {
    await database?.destroy();
  });

  it("answers queries", async () => {
    const { rows } = await sql<{ one: number }>`select 1 as one`.execute(database.db);
    expect(rows).toEqual([{ one: 1 }]);
    expect(database.kind).toBe(kind);
  });

  it("is migrated", async () => {
    const tables = await database.db.introspection.getTables();
    expect(tables.map((table) => table.name)).toContain("feeds");
  });

  it("has a url only for postgres", () => {
    if (kind === "postgres") {
      expect(database.url).toMatch(/^postgres(ql)?:\/\/.+\/tidings_test_[0-9a-f]+/);
    } else {
      expect(database.url).toBeUndefined();
    }
  });
});

describe("createTestDatabase(postgres) isolation", () => {
  it("gives each call its own database, dropped by destroy()", async () => {
    const first = await createTestDatabase("postgres");
    const second = await createTestDatabase("postgres");
    try {
      expect(first.url).not.toBe(second.url);
      await sql`create table scratch (id integer primary key)`.execute(first.db);
      await sql`insert into scratch (id) values (1)`.execute(first.db);

      expect(await tableExists(first.db, "scratch")).toBe(true);
      expect(await tableExists(second.db, "scratch")).toBe(false);

      await first.destroy();
      const firstName = new URL(first.url ?? "").pathname.slice(1);
      const { rows } = await sql<{ count: number }>`
        select count(*)::int as count from pg_database where datname = ${firstName}
      `.execute(second.db);
      expect(rows).toEqual([{ count: 0 }]);
    } finally {
      await first.destroy();
      await second.destroy();
    }
  });
});

async function tableExists(db: TestDatabase["db"], name: string): Promise<boolean> {
  const { rows } = await sql<{ found: boolean }>`
    select to_regclass(${name}) is not null as found
  `.execute(db);
  return rows[0]?.found === true;
}

describe("the embedded database (PGlite)", () => {
  it("runs with small shared buffers, for the one process that owns it", async () => {
    const database = await createTestDatabase("pglite");
    try {
      const { rows } = await sql<{
        sharedBuffers: string;
        walBuffers: string;
      }>`select current_setting('shared_buffers') as shared_buffers, current_setting('wal_buffers') as wal_buffers`.execute(
        database.db,
      );
      expect(rows).toEqual([{ sharedBuffers: "16MB", walBuffers: "1MB" }]);
    } finally {
      await database.destroy();
    }
  });
});
