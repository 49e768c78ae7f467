import { type Kysely, sql } from "kysely";

/**
 * Durable WebSub distribution (issue 14): pings travel through the PostgreSQL queue, and each
 * subscription remembers how far it has got, so a subscriber who is behind gets the newest
 * document once and a restarted process knows what is still owed.
 *
 * - `websub_feed_versions`: a counter per feed, raised each time a change is distributed; a
 *   document rendered after reading version N holds every change up to N.
 * - On each subscription: the version it should have (`target_version`), the version and ETag
 *   it last accepted, whether a delivery job is queued for it, and failures in a row.
 *
 * Frozen in time: Kysely<any>, never the app's current schema types.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("websub_feed_versions")
    .addColumn("feed_slug", "text", (c) => c.primaryKey())
    .addColumn("version", "bigint", (c) => c.notNull())
    .execute();
  await db.schema
    .alterTable("websub_subscriptions")
    .addColumn("target_version", "bigint", (c) => c.notNull().defaultTo(0))
    .addColumn("delivered_version", "bigint", (c) => c.notNull().defaultTo(0))
    .addColumn("delivered_etag", "text")
    .addColumn("job_queued", "boolean", (c) => c.notNull().defaultTo(false))
    .addColumn("failed_attempts", "integer", (c) => c.notNull().defaultTo(0))
    .execute();
  await sql`create index websub_subscriptions_feed_expiry_idx
    on websub_subscriptions (feed_slug, expires_at)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop index if exists websub_subscriptions_feed_expiry_idx`.execute(db);
  await db.schema
    .alterTable("websub_subscriptions")
    .dropColumn("target_version")
    .dropColumn("delivered_version")
    .dropColumn("delivered_etag")
    .dropColumn("job_queued")
    .dropColumn("failed_attempts")
    .execute();
  await db.schema.dropTable("websub_feed_versions").execute();
}
