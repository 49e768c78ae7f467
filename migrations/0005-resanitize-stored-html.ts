import { type Kysely, sql } from "kysely";
import { storedReplyHtml } from "../src/content/reply-html.ts";
import { sanitizeArticleHtml } from "../src/content/sanitize-html.ts";

/**
 * Runs the repaired sanitiser over HTML stored by the old one, once. The old one could write a
 * stray `</tidings-unwrap>` after an unwrapped link (the page then left a link open to the end)
 * and kept HTML nested without limit, and replies were re-sanitised on every view; pages now show
 * stored HTML as it is. Both sanitisers give a fixed point, so running this again changes
 * nothing.
 *
 * Unlike other migrations this one calls today's code, on purpose: what it must produce is
 * exactly what the app stores from now on. Stored URLs are already absolute, so the base URL
 * given to the sanitiser is never used.
 */
const BATCH = 200;
const UNUSED_BASE = "https://tidings.invalid/";

export async function up(db: Kysely<unknown>): Promise<void> {
  let after = "";
  for (;;) {
    const { rows } = await sql<{ id: string; bodyHtml: string; canonicalUrl: string | null }>`
      select id::text as id, body_html as "bodyHtml", canonical_url as "canonicalUrl"
      from articles where id::text > ${after} order by id::text limit ${BATCH}`.execute(db);
    for (const row of rows) {
      const repaired = sanitizeArticleHtml(row.bodyHtml, row.canonicalUrl ?? UNUSED_BASE);
      if (repaired !== row.bodyHtml) {
        await sql`update articles set body_html = ${repaired} where id = ${row.id}::uuid`.execute(
          db,
        );
      }
    }
    const last = rows.at(-1);
    if (!last || rows.length < BATCH) break;
    after = last.id;
  }

  after = "";
  for (;;) {
    const { rows } = await sql<{ id: string; contentHtml: string; base: string }>`
      select id, content_html as "contentHtml", coalesce(url, id) as base
      from article_replies where id > ${after} order by id limit ${BATCH}`.execute(db);
    for (const row of rows) {
      const repaired = storedReplyHtml(row.contentHtml, row.base);
      if (repaired !== row.contentHtml) {
        await sql`update article_replies set content_html = ${repaired} where id = ${row.id}`.execute(
          db,
        );
      }
    }
    const last = rows.at(-1);
    if (!last || rows.length < BATCH) break;
    after = last.id;
  }
}

export async function down(): Promise<void> {
  // The old HTML is not kept; the repaired HTML is what the app stores anyway.
}
