import { sql } from "kysely";
import { Migrator } from "kysely/migration";
import { afterEach, describe, expect, it } from "vitest";
import { migrations } from "../../migrations/index.ts";
import { createDatabase, type Db } from "../../src/storage/database.ts";
import { migrateToLatest } from "../../src/storage/migrate.ts";
import { createTestDatabase, DATABASE_KINDS } from "../support/databases.ts";

/** HTML the old sanitiser stored: a stray closing tag after an unwrapped anchor. */
const BROKEN_BODY =
  '<p>Top and <a href="https://x.example/">a source</tidings-unwrap>.</p><p>After.</p>';

/** The app's migrations on `db`, stepped by hand (the app only ever migrates to the latest). */
const migratorFor = (db: Db) =>
  new Migrator({
    db,
    provider: { getMigrations: async () => migrations },
    migrationTableName: "tidings_migrations",
    migrationLockTableName: "tidings_migrations_lock",
  });

describe.each(DATABASE_KINDS)("the migrated schema on %s", (kind) => {
  it("keeps only the batch claim of Fedify's queue (0006 drops 0002's single claim)", async () => {
    const database = await createTestDatabase(kind);
    try {
      const { rows } = await sql<{ name: string }>`
        select proname as name from pg_proc where proname like 'fedify_claim%' order by 1`.execute(
        database.db,
      );
      expect(rows.map((row) => row.name)).toEqual(["fedify_claim_messages"]);
    } finally {
      await database.destroy();
    }
  });
});

describe("migration 0005: stored HTML repaired by today's sanitiser", () => {
  let db: Db | undefined;
  afterEach(async () => {
    await db?.destroy();
  });

  it("repairs article bodies and replies stored before it, and leaves clean HTML alone", async () => {
    db = createDatabase({ dataDir: "memory://" });
    const migrator = migratorFor(db);
    expect((await migrator.migrateTo("0004-batched-queue")).error).toBeUndefined();

    await sql`insert into feeds (slug, kind, title, description, language, status, created_at, updated_at)
              values ('world', 'section', 'World', '', 'en', 'open', now(), now())`.execute(db);
    const insertArticle = (id: string, body: string) =>
      sql`insert into articles (id, headline, body_html, authors, tags, language, published_at,
                                created_at, updated_at, revision)
          values (${id}::uuid, 'Headline', ${body}, '[]', '{}', 'en', now(), now(), now(), 1)`.execute(
        db as Db,
      );
    await insertArticle("0191c8a2-7a3e-7cc1-9d3e-000000000001", BROKEN_BODY);
    await insertArticle("0191c8a2-7a3e-7cc1-9d3e-000000000002", "<p>Clean <em>body</em>.</p>");
    const nested = `${"<blockquote>".repeat(5_000)}deep${"</blockquote>".repeat(5_000)}`;
    await sql`insert into article_replies (id, article_id, actor_id, url, content_html, published_at, created_at)
              values ('https://peer.example/notes/1', '0191c8a2-7a3e-7cc1-9d3e-000000000001'::uuid,
                      'https://peer.example/users/alice', 'https://peer.example/@alice/1',
                      ${`<p>Look <img src="https://peer.example/pixel.png"> here</p>${nested}`}, now(), now())`.execute(
      db,
    );

    await migrateToLatest(db);

    const { rows: articles } = await sql<{ id: string; bodyHtml: string }>`
      select id::text as id, body_html as "bodyHtml" from articles order by id`.execute(db);
    // The stray tag is gone; the link the old output left open now closes with its paragraph
    // instead of swallowing the rest of the page.
    expect(articles.map((row) => row.bodyHtml)).toEqual([
      '<p>Top and <a href="https://x.example/">a source.</a></p><p>After.</p>',
      "<p>Clean <em>body</em>.</p>",
    ]);
    const { rows: replies } = await sql<{ contentHtml: string }>`
      select content_html as "contentHtml" from article_replies`.execute(db);
    const reply = replies[0]?.contentHtml ?? "";
    expect(reply).not.toContain("<img");
    expect(reply).toContain("deep");
    expect(reply.match(/<blockquote>/g)?.length ?? 0).toBeLessThanOrEqual(64);
  });
});

describe.each(DATABASE_KINDS)("migration 0018 (feed renames) on %s", (kind) => {
  it("lets the outbox hold a Move, and goes down cleanly to 0017", async () => {
    const database = await createTestDatabase(kind);
    try {
      const { db } = database;
      const insertOutbox = (outboxKind: string) =>
        sql`insert into federation_outbox (kind, feed_slug, available_at, created_at)
            values (${outboxKind}, 'world', now(), now())`.execute(db);
      await sql`insert into feeds (slug, kind, title, description, language, status, created_at, updated_at)
                values ('world', 'section', 'World', '', 'en', 'open', now(), now())`.execute(db);
      await insertOutbox("move");
      await expect(insertOutbox("teleport")).rejects.toThrow(/federation_outbox_kind_check/);

      const migrator = migratorFor(db);
      expect((await migrator.migrateTo("0017-quotes")).error).toBeUndefined();
      await expect(insertOutbox("move")).rejects.toThrow(/federation_outbox_kind_check/);
      await insertOutbox("update-actor");
      const { rows } = await sql<{ name: string }>`
        select table_name as name from information_schema.tables
        where table_name = 'feed_aliases'`.execute(db);
      expect(rows).toEqual([]);
    } finally {
      await database.destroy();
    }
  });
});
