import { type Kysely, sql } from "kysely";

// Migrations are frozen in time: they use Kysely<any>, never the app's current schema types.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("feeds")
    .addColumn("slug", "text", (c) => c.primaryKey())
    .addColumn("kind", "text", (c) => c.notNull().check(sql`kind in ('section', 'story')`))
    .addColumn("title", "text", (c) => c.notNull())
    .addColumn("description", "text", (c) => c.notNull())
    .addColumn("language", "text", (c) => c.notNull())
    .addColumn("status", "text", (c) => c.notNull().check(sql`status in ('open', 'closed')`))
    .addColumn("icon_url", "text")
    .addColumn("image_url", "text")
    .addColumn("definition_hash", "text")
    .addColumn("created_at", "timestamptz", (c) => c.notNull())
    .addColumn("updated_at", "timestamptz", (c) => c.notNull())
    .execute();

  await db.schema
    .createTable("articles")
    .addColumn("id", "uuid", (c) => c.primaryKey())
    .addColumn("external_id", "text", (c) => c.unique())
    .addColumn("headline", "text", (c) => c.notNull())
    .addColumn("standfirst", "text")
    .addColumn("body_html", "text", (c) => c.notNull())
    .addColumn("authors", "jsonb", (c) => c.notNull())
    .addColumn("image", "jsonb")
    .addColumn("tags", "jsonb", (c) => c.notNull())
    .addColumn("language", "text", (c) => c.notNull())
    .addColumn("canonical_url", "text")
    .addColumn("published_at", "timestamptz", (c) => c.notNull())
    .addColumn("updated_at", "timestamptz", (c) => c.notNull())
    .addColumn("created_at", "timestamptz", (c) => c.notNull())
    .addColumn("revision", "integer", (c) => c.notNull())
    .addColumn("deleted_at", "timestamptz")
    .execute();
  await db.schema
    .createIndex("articles_published_at_idx")
    .on("articles")
    .columns(["published_at desc", "id desc"])
    .execute();

  await db.schema
    .createTable("article_feeds")
    .addColumn("article_id", "uuid", (c) =>
      c.notNull().references("articles.id").onDelete("cascade"),
    )
    .addColumn("feed_slug", "text", (c) =>
      c.notNull().references("feeds.slug").onDelete("cascade").onUpdate("cascade"),
    )
    .addColumn("position", "smallint", (c) => c.notNull())
    .addColumn("published_at", "timestamptz", (c) => c.notNull())
    .addPrimaryKeyConstraint("article_feeds_pk", ["article_id", "feed_slug"])
    .execute();
  await db.schema
    .createIndex("article_feeds_feed_published_idx")
    .on("article_feeds")
    .columns(["feed_slug", "published_at desc", "article_id desc"])
    .execute();

  await db.schema
    .createTable("article_revisions")
    .addColumn("article_id", "uuid", (c) =>
      c.notNull().references("articles.id").onDelete("cascade"),
    )
    .addColumn("revision", "integer", (c) => c.notNull())
    .addColumn("snapshot", "jsonb", (c) => c.notNull())
    .addColumn("created_at", "timestamptz", (c) => c.notNull())
    .addPrimaryKeyConstraint("article_revisions_pk", ["article_id", "revision"])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable("article_revisions").execute();
  await db.schema.dropTable("article_feeds").execute();
  await db.schema.dropTable("articles").execute();
  await db.schema.dropTable("feeds").execute();
}
