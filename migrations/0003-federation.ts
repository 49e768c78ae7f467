import { type Kysely, sql } from "kysely";

// Frozen in time: Kysely<any>, never the app's current schema types.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable("feeds")
    .addColumn("actor_type", "text", (c) =>
      c
        .notNull()
        .defaultTo("Organization")
        .check(sql`actor_type in ('Organization', 'Service', 'Group', 'Application', 'Person')`),
    )
    .addColumn("object_type", "text", (c) =>
      c.notNull().defaultTo("Note").check(sql`object_type in ('Note', 'Article')`),
    )
    .execute();

  await db.schema
    .alterTable("articles")
    .addColumn("pinned", "boolean", (c) => c.notNull().defaultTo(false))
    .execute();

  // Generated once per feed and kept: rotating them would break every follower's cached key.
  await db.schema
    .createTable("feed_keys")
    .addColumn("feed_slug", "text", (c) =>
      c.notNull().references("feeds.slug").onDelete("cascade").onUpdate("cascade"),
    )
    .addColumn("algorithm", "text", (c) => c.notNull().check(sql`algorithm in ('rsa', 'ed25519')`))
    .addColumn("public_jwk", "jsonb", (c) => c.notNull())
    .addColumn("private_jwk", "jsonb", (c) => c.notNull())
    .addColumn("created_at", "timestamptz", (c) => c.notNull())
    .addPrimaryKeyConstraint("feed_keys_pk", ["feed_slug", "algorithm"])
    .execute();

  await db.schema
    .createTable("followers")
    .addColumn("feed_slug", "text", (c) =>
      c.notNull().references("feeds.slug").onDelete("cascade").onUpdate("cascade"),
    )
    .addColumn("actor_id", "text", (c) => c.notNull())
    .addColumn("inbox_url", "text", (c) => c.notNull())
    .addColumn("shared_inbox_url", "text")
    .addColumn("follow_id", "text")
    .addColumn("created_at", "timestamptz", (c) => c.notNull())
    .addPrimaryKeyConstraint("followers_pk", ["feed_slug", "actor_id"])
    .execute();
  await db.schema.createIndex("followers_actor_idx").on("followers").column("actor_id").execute();

  await db.schema
    .createTable("article_interactions")
    .addColumn("article_id", "uuid", (c) =>
      c.notNull().references("articles.id").onDelete("cascade"),
    )
    .addColumn("kind", "text", (c) => c.notNull().check(sql`kind in ('like', 'announce')`))
    .addColumn("actor_id", "text", (c) => c.notNull())
    .addColumn("activity_id", "text", (c) => c.notNull())
    .addColumn("created_at", "timestamptz", (c) => c.notNull())
    .addPrimaryKeyConstraint("article_interactions_pk", ["article_id", "kind", "actor_id"])
    .execute();

  await db.schema
    .createTable("article_replies")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("article_id", "uuid", (c) =>
      c.notNull().references("articles.id").onDelete("cascade"),
    )
    .addColumn("actor_id", "text", (c) => c.notNull())
    .addColumn("url", "text")
    .addColumn("content_html", "text", (c) => c.notNull())
    .addColumn("published_at", "timestamptz", (c) => c.notNull())
    .addColumn("created_at", "timestamptz", (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex("article_replies_article_idx")
    .on("article_replies")
    .columns(["article_id", "published_at"])
    .execute();

  // The transactional outbox: written in the same transaction as the change it announces,
  // turned into Fedify deliveries by the relay. One row per feed per article revision.
  await db.schema
    .createTable("federation_outbox")
    .addColumn("id", "bigserial", (c) => c.primaryKey())
    .addColumn("kind", "text", (c) =>
      c.notNull().check(sql`kind in ('create', 'update', 'delete', 'update-actor')`),
    )
    .addColumn("feed_slug", "text", (c) =>
      c.notNull().references("feeds.slug").onDelete("cascade").onUpdate("cascade"),
    )
    .addColumn("article_id", "uuid", (c) => c.references("articles.id").onDelete("cascade"))
    .addColumn("revision", "integer")
    .addColumn("available_at", "timestamptz", (c) => c.notNull())
    .addColumn("locked_until", "timestamptz")
    .addColumn("attempts", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("processed_at", "timestamptz")
    .addColumn("created_at", "timestamptz", (c) => c.notNull())
    .execute();
  await sql`create index federation_outbox_pending_idx on federation_outbox (available_at, id) where processed_at is null`.execute(
    db,
  );
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable("federation_outbox").execute();
  await db.schema.dropTable("article_replies").execute();
  await db.schema.dropTable("article_interactions").execute();
  await db.schema.dropTable("followers").execute();
  await db.schema.dropTable("feed_keys").execute();
  await db.schema.alterTable("articles").dropColumn("pinned").execute();
  await db.schema.alterTable("feeds").dropColumn("object_type").dropColumn("actor_type").execute();
}
