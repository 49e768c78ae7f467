import { type Kysely, sql } from "kysely";

/**
 * Moderation and access (issue 15): scoped admin tokens (stored hashed), the audit log of admin
 * writes, domain and actor blocks, reports received as `Flag`, hidden replies, and the keys of
 * the instance actor that signs Tidings' own fetches.
 *
 * Frozen in time: Kysely<any>, never the app's current schema types.
 */
export async function up(db: Kysely<any>): Promise<void> {
  // Only the SHA-256 of a token is kept: the token itself is shown once, when it is created.
  await db.schema
    .createTable("admin_tokens")
    .addColumn("id", "uuid", (c) => c.primaryKey())
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("scope", "text", (c) => c.notNull().check(sql`scope in ('publish', 'admin')`))
    .addColumn("token_hash", "text", (c) => c.notNull().unique())
    .addColumn("created_at", "timestamptz", (c) => c.notNull())
    .addColumn("revoked_at", "timestamptz")
    .execute();
  // A name means one live token; a revoked token's name may be used again.
  await sql`create unique index admin_tokens_live_name_idx on admin_tokens (name) where revoked_at is null`.execute(
    db,
  );

  await db.schema
    .createTable("admin_audit")
    .addColumn("id", "bigserial", (c) => c.primaryKey())
    .addColumn("at", "timestamptz", (c) => c.notNull())
    .addColumn("token_name", "text", (c) => c.notNull())
    .addColumn("action", "text", (c) => c.notNull())
    .addColumn("target", "text", (c) => c.notNull())
    .addColumn("status", "integer", (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex("admin_audit_at_idx")
    .on("admin_audit")
    .columns(["at", "id"])
    .execute();

  // `target` is a host name (kind 'domain', lower case, subdomains included) or an actor id.
  await db.schema
    .createTable("blocks")
    .addColumn("id", "uuid", (c) => c.primaryKey())
    .addColumn("kind", "text", (c) => c.notNull().check(sql`kind in ('domain', 'actor')`))
    .addColumn("target", "text", (c) => c.notNull().unique())
    .addColumn("severity", "text", (c) =>
      c.notNull().check(sql`severity in ('suspend', 'silence')`),
    )
    .addColumn("reject_reports", "boolean", (c) => c.notNull().defaultTo(false))
    .addColumn("comment", "text")
    .addColumn("created_at", "timestamptz", (c) => c.notNull())
    .execute();

  await db.schema
    .createTable("reports")
    .addColumn("id", "uuid", (c) => c.primaryKey())
    .addColumn("activity_id", "text", (c) => c.notNull().unique())
    .addColumn("reporter_id", "text", (c) => c.notNull())
    .addColumn("object_ids", "jsonb", (c) => c.notNull())
    .addColumn("comment", "text", (c) => c.notNull())
    .addColumn("received_at", "timestamptz", (c) => c.notNull())
    .addColumn("resolved_at", "timestamptz")
    .addColumn("resolved_by", "text")
    .addColumn("resolution_note", "text")
    .execute();
  await db.schema
    .createIndex("reports_received_idx")
    .on("reports")
    .columns(["received_at", "id"])
    .execute();

  await db.schema.alterTable("article_replies").addColumn("hidden_at", "timestamptz").execute();

  // The instance actor's keys: like a feed's, generated once and kept.
  await db.schema
    .createTable("instance_keys")
    .addColumn("algorithm", "text", (c) =>
      c.primaryKey().check(sql`algorithm in ('rsa', 'ed25519')`),
    )
    .addColumn("public_jwk", "jsonb", (c) => c.notNull())
    .addColumn("private_jwk", "jsonb", (c) => c.notNull())
    .addColumn("created_at", "timestamptz", (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable("instance_keys").execute();
  await db.schema.alterTable("article_replies").dropColumn("hidden_at").execute();
  await db.schema.dropTable("reports").execute();
  await db.schema.dropTable("blocks").execute();
  await db.schema.dropTable("admin_audit").execute();
  await db.schema.dropTable("admin_tokens").execute();
}
