import type { Kysely } from "kysely";

/**
 * Content warnings (issue 13): an article's optional warning, sent as the fediverse `summary`
 * with `sensitive: true`, shown before the content in feeds and before the image on the page.
 *
 * Frozen in time: Kysely<any>, never the app's current schema types.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable("articles").addColumn("content_warning", "text").execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable("articles").dropColumn("content_warning").execute();
}
