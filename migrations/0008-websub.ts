import type { Kysely } from "kysely";

/**
 * The WebSub hub (issue 14): verified subscriptions to feed documents, one per topic and
 * callback, each with its lease and optional secret, and the outcome of its last delivery.
 *
 * Frozen in time: Kysely<any>, never the app's current schema types.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("websub_subscriptions")
    .addColumn("id", "bigserial", (c) => c.primaryKey())
    .addColumn("feed_slug", "text", (c) => c.notNull())
    .addColumn("format", "text", (c) => c.notNull())
    .addColumn("topic", "text", (c) => c.notNull())
    .addColumn("callback", "text", (c) => c.notNull())
    .addColumn("callback_host", "text", (c) => c.notNull())
    .addColumn("secret", "text")
    .addColumn("lease_seconds", "integer", (c) => c.notNull())
    .addColumn("expires_at", "timestamptz", (c) => c.notNull())
    .addColumn("verified_at", "timestamptz", (c) => c.notNull())
    .addColumn("last_delivery_at", "timestamptz")
    .addColumn("last_delivery_result", "text")
    .addUniqueConstraint("websub_subscriptions_topic_callback_key", ["topic", "callback"])
    .execute();
  await db.schema
    .createIndex("websub_subscriptions_host_idx")
    .on("websub_subscriptions")
    .column("callback_host")
    .execute();
  await db.schema
    .createIndex("websub_subscriptions_feed_idx")
    .on("websub_subscriptions")
    .column("feed_slug")
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable("websub_subscriptions").execute();
}
