import { type Kysely, sql } from "kysely";

/**
 * Quotes with consent (FEP-044f, issue 13.4): each feed says who may quote its posts, and
 * every quote we approve is kept as a `QuoteAuthorization` that third parties fetch to check
 * it, until it is revoked (the article deleted, or the quoting post gone). An outbox entry with
 * `quote_authorization_id` set delivers the Accept of that quote (kind `create`) in the same
 * transaction that stored it.
 *
 * Frozen in time: Kysely<any>, never the app's current schema types.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable("feeds")
    .addColumn("quote_policy", "text", (c) =>
      c
        .notNull()
        .defaultTo("everyone")
        .check(sql`quote_policy in ('everyone', 'followers', 'nobody')`),
    )
    .execute();

  await db.schema
    .createTable("quote_authorizations")
    .addColumn("id", "uuid", (c) => c.primaryKey())
    .addColumn("article_id", "uuid", (c) =>
      c.notNull().references("articles.id").onDelete("cascade"),
    )
    .addColumn("feed_slug", "text", (c) =>
      c.notNull().references("feeds.slug").onDelete("cascade").onUpdate("cascade"),
    )
    .addColumn("target_uri", "text", (c) => c.notNull())
    .addColumn("quoting_object", "text", (c) => c.notNull())
    .addColumn("quoting_actor", "text", (c) => c.notNull())
    .addColumn("quoting_inbox", "text", (c) => c.notNull())
    .addColumn("request_id", "text", (c) => c.notNull())
    .addColumn("created_at", "timestamptz", (c) => c.notNull())
    .addColumn("revoked_at", "timestamptz")
    // One authorization per quoting post and quoted post: a repeated request gets the same one.
    .addUniqueConstraint("quote_authorizations_quote_uq", ["target_uri", "quoting_object"])
    .execute();
  await db.schema
    .createIndex("quote_authorizations_article_idx")
    .on("quote_authorizations")
    .columns(["article_id", "feed_slug"])
    .execute();
  await db.schema
    .createIndex("quote_authorizations_quoting_idx")
    .on("quote_authorizations")
    .column("quoting_object")
    .execute();

  await db.schema
    .alterTable("federation_outbox")
    .addColumn("quote_authorization_id", "uuid", (c) =>
      c.references("quote_authorizations.id").onDelete("cascade"),
    )
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable("federation_outbox").dropColumn("quote_authorization_id").execute();
  await db.schema.dropTable("quote_authorizations").execute();
  await db.schema.alterTable("feeds").dropColumn("quote_policy").execute();
}
