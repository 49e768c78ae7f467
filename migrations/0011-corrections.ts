import type { Kysely } from "kysely";

/**
 * Corrections (issue 12.5): a revision may carry a public note saying what was put right. Each
 * has its own id and time, so the page, the feeds, the federated `Update` and a reply in the
 * fediverse thread can all name the same correction. It belongs to exactly one stored revision.
 *
 * Frozen in time: Kysely<any>, never the app's current schema types.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("article_corrections")
    .addColumn("id", "uuid", (c) => c.primaryKey())
    .addColumn("article_id", "uuid", (c) => c.notNull())
    .addColumn("revision", "integer", (c) => c.notNull())
    .addColumn("note", "text", (c) => c.notNull())
    .addColumn("corrected_at", "timestamptz", (c) => c.notNull())
    .addUniqueConstraint("article_corrections_revision_key", ["article_id", "revision"])
    .addForeignKeyConstraint(
      "article_corrections_revision_fk",
      ["article_id", "revision"],
      "article_revisions",
      ["article_id", "revision"],
      (fk) => fk.onDelete("cascade"),
    )
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable("article_corrections").execute();
}
