import { type Kysely, sql } from "kysely";

/**
 * Drops `fedify_claim_message`, the single-message claim of migration 0002. Since 0004 the
 * consumers claim in batches (`fedify_claim_messages`), and nothing calls the old one.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`drop function if exists fedify_claim_message(text, text, double precision)`.execute(db);
}

export async function down(): Promise<void> {
  // Not restored: no code of this version or of 0004's calls it.
}
