import { sql } from "kysely";
import type { RevisionText } from "../../content/revision-history.ts";
import { isUuid } from "../../domain/cursor.ts";
import type { Db } from "../database.ts";

/**
 * An article's history page (`/articles/ID/history`): every stored revision's headline,
 * standfirst and body, with the correction it carried, oldest first. Only those fields are read
 * out of the stored snapshots, not the whole article. The tombstone revision is left out.
 */
export function createArticleHistoryView(db: Db) {
  return {
    async revisions(articleId: string): Promise<RevisionText[]> {
      if (!isUuid(articleId)) return [];
      const rows = await db
        .selectFrom("articleRevisions as r")
        .leftJoin("articleCorrections as c", (join) =>
          join.onRef("c.articleId", "=", "r.articleId").onRef("c.revision", "=", "r.revision"),
        )
        .select([
          "r.revision",
          "r.createdAt",
          "c.note",
          sql<string>`r.snapshot->>'headline'`.as("headline"),
          sql<string | null>`r.snapshot->>'standfirst'`.as("standfirst"),
          sql<string>`r.snapshot->>'bodyHtml'`.as("bodyHtml"),
        ])
        .where("r.articleId", "=", articleId)
        .where(sql<boolean>`r.snapshot->>'deletedAt' is null`)
        .orderBy("r.revision")
        .execute();
      return rows.map((row) => ({
        revision: row.revision,
        recordedAt: new Date(row.createdAt),
        headline: row.headline,
        standfirst: row.standfirst,
        bodyHtml: row.bodyHtml,
        correction: row.note ?? null,
      }));
    },
  };
}

export type ArticleHistoryView = ReturnType<typeof createArticleHistoryView>;
