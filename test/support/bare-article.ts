import type { Kysely } from "kysely";
import type { Database } from "../../src/storage/schema.ts";

/** An article row with nothing but what the table requires, for storage tests that need one. */
export async function insertBareArticle(db: Kysely<Database>, id: string, at: Date): Promise<void> {
  await db
    .insertInto("articles")
    .values({
      id,
      externalId: null,
      headline: "H",
      standfirst: null,
      bodyHtml: "<p>x</p>",
      authors: "[]",
      image: null,
      tags: "[]",
      language: "en",
      canonicalUrl: null,
      publishedAt: at,
      updatedAt: at,
      createdAt: at,
      revision: 1,
      deletedAt: null,
      live: false,
    })
    .execute();
}
