import { type Kysely, sql } from "kysely";

/**
 * Story lifecycle (issue 12.7): when a feed was closed (its profile says the story ended on
 * that date), and when an article's live coverage ended (the page's LiveBlogPosting
 * `coverageEndTime`). Feeds already closed take their last change as the closing time.
 *
 * Frozen in time: Kysely<any>, never the app's current schema types.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable("feeds").addColumn("closed_at", "timestamptz").execute();
  await db.schema.alterTable("articles").addColumn("live_ended_at", "timestamptz").execute();
  await sql`update feeds set closed_at = updated_at where status = 'closed'`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable("articles").dropColumn("live_ended_at").execute();
  await db.schema.alterTable("feeds").dropColumn("closed_at").execute();
}
