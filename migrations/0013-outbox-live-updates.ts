import type { Kysely } from "kysely";

/**
 * Live updates on the fediverse (issue 12): an outbox entry may announce one live update of
 * its article (a Note replying to the article's post) instead of the article itself. Same
 * outbox, same relay: `live_update_id` set means `revision` is the update's revision.
 *
 * Frozen in time: Kysely<any>, never the app's current schema types.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable("federation_outbox")
    .addColumn("live_update_id", "uuid", (c) => c.references("live_updates.id").onDelete("cascade"))
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable("federation_outbox").dropColumn("live_update_id").execute();
}
