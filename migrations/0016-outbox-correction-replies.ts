import type { Kysely } from "kysely";

/**
 * Corrections in the fediverse thread (issue 12.5): an outbox entry may announce one correction
 * of its article as a self-reply (`Correction: …`) in the article's thread, next to the `Update`
 * of the corrected revision. `correction_id` set means the entry is about that reply; its
 * activity ids derive from the correction's id, so a re-send is a duplicate.
 *
 * Frozen in time: Kysely<any>, never the app's current schema types.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable("federation_outbox")
    .addColumn("correction_id", "uuid", (c) =>
      c.references("article_corrections.id").onDelete("cascade"),
    )
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable("federation_outbox").dropColumn("correction_id").execute();
}
