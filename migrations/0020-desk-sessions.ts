import type { Kysely } from "kysely";

/**
 * The newsroom desk's sign-in sessions (issue 17.3). Only the SHA-256 of a session id is kept,
 * so a copy of the database opens no session. A session remembers the stored admin token it was
 * opened with (`token_id`; null for ADMIN_TOKEN, then `token_hash` says which ADMIN_TOKEN): it
 * ends when that token is revoked or ADMIN_TOKEN changes, and the token's scope applies.
 *
 * Frozen in time: Kysely<any>, never the app's current schema types.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("desk_sessions")
    .addColumn("id_hash", "text", (c) => c.primaryKey())
    .addColumn("token_id", "uuid", (c) => c.references("admin_tokens.id").onDelete("cascade"))
    .addColumn("token_hash", "text", (c) => c.notNull())
    .addColumn("token_name", "text", (c) => c.notNull())
    .addColumn("created_at", "timestamptz", (c) => c.notNull())
    .addColumn("expires_at", "timestamptz", (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex("desk_sessions_expires_idx")
    .on("desk_sessions")
    .column("expires_at")
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable("desk_sessions").execute();
}
