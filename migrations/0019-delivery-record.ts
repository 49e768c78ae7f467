import { type Kysely, sql } from "kysely";

/**
 * The delivery record (issue 17.2): per activity of an article's publish, update or deletion,
 * and per remote server (host), how many of the inboxes there it was queued for have taken it,
 * how many were given up, and the last attempt's status. A row is written when the relay queues
 * the activity (one multi-row INSERT per chunk of inboxes: "pending"); the senders' outcomes are
 * folded in, in memory, and written by one multi-row UPDATE per batch (docs/adr/0007). Rows
 * older than DELIVERY_RECORD_DAYS are pruned by the housekeeping.
 *
 * Frozen in time: Kysely<any>, never the app's current schema types.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("delivery_records")
    .addColumn("activity_id", "text", (c) => c.notNull())
    .addColumn("host", "text", (c) => c.notNull())
    .addColumn("article_id", "uuid", (c) =>
      c.notNull().references("articles.id").onDelete("cascade"),
    )
    .addColumn("revision", "integer", (c) => c.notNull())
    .addColumn("feed_slug", "text", (c) => c.notNull())
    .addColumn("kind", "text", (c) =>
      c.notNull().check(sql`kind in ('create', 'update', 'delete')`),
    )
    // Inboxes at this host the activity was queued for (one when the server has a shared inbox).
    .addColumn("inboxes", "integer", (c) => c.notNull())
    .addColumn("delivered", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("given_up", "integer", (c) => c.notNull().defaultTo(0))
    // POSTs answered or failed, whoever sent them (the direct sender's declined ones excepted:
    // Fedify sends those again at once, and its outcome is the one recorded).
    .addColumn("attempts", "integer", (c) => c.notNull().defaultTo(0))
    // The last attempt's HTTP status ("202", "503") or "timeout" / "error"; null: none yet.
    .addColumn("last_status", "text")
    .addColumn("last_attempt_at", "timestamptz")
    .addColumn("last_success_at", "timestamptz")
    .addColumn("last_failure_at", "timestamptz")
    .addColumn("created_at", "timestamptz", (c) => c.notNull())
    .addPrimaryKeyConstraint("delivery_records_pk", ["activity_id", "host"])
    .execute();
  await db.schema
    .createIndex("delivery_records_article_idx")
    .on("delivery_records")
    .columns(["article_id", "revision", "host"])
    .execute();
  await db.schema
    .createIndex("delivery_records_host_idx")
    .on("delivery_records")
    .columns(["host", "last_attempt_at"])
    .execute();
  await db.schema
    .createIndex("delivery_records_created_idx")
    .on("delivery_records")
    .column("created_at")
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable("delivery_records").execute();
}
