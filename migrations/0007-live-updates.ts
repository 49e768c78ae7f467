import { type Kysely, sql } from "kysely";

/**
 * Developing stories (issue 12): live updates on an article, and whether the article is live.
 * An update is a short timestamped post threaded under its article; `external_id` makes pushes
 * idempotent per article. Deleting an update leaves a tombstone (`deleted_at`), as for articles.
 *
 * Frozen in time: Kysely<any>, never the app's current schema types.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable("articles")
    .addColumn("live", "boolean", (c) => c.notNull().defaultTo(false))
    .execute();

  await db.schema
    .createTable("live_updates")
    .addColumn("id", "uuid", (c) => c.primaryKey())
    .addColumn("article_id", "uuid", (c) =>
      c.notNull().references("articles.id").onDelete("cascade"),
    )
    .addColumn("external_id", "text")
    .addColumn("headline", "text")
    .addColumn("body_html", "text", (c) => c.notNull())
    .addColumn("authors", "jsonb", (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn("image", "jsonb")
    .addColumn("published_at", "timestamptz", (c) => c.notNull())
    .addColumn("updated_at", "timestamptz", (c) => c.notNull())
    .addColumn("created_at", "timestamptz", (c) => c.notNull())
    .addColumn("revision", "integer", (c) => c.notNull())
    .addColumn("deleted_at", "timestamptz")
    .execute();
  await sql`create unique index live_updates_external_id_idx on live_updates (article_id, external_id) where external_id is not null`.execute(
    db,
  );
  await db.schema
    .createIndex("live_updates_article_idx")
    .on("live_updates")
    .columns(["article_id", "published_at", "id"])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable("live_updates").execute();
  await db.schema.alterTable("articles").dropColumn("live").execute();
}
