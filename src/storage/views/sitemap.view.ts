import type { Db } from "../database.ts";

/** An article as a sitemap lists it. */
export interface SitemapArticle {
  readonly id: string;
  readonly updatedAt: Date;
}

/** An article as the Google News sitemap lists it. */
export interface NewsArticle {
  readonly id: string;
  readonly headline: string;
  readonly language: string;
  readonly publishedAt: Date;
  readonly updatedAt: Date;
}

/**
 * What crawlers are told about (`/sitemap.xml`, `/news-sitemap.xml`): public articles only, never
 * deleted or scheduled ones, newest first. Walks `articles_published_at_idx`.
 */
export function createSitemapView(db: Db) {
  /** Public by `now`: neither deleted nor scheduled; newest first. */
  const publicArticles = (now: Date) =>
    db
      .selectFrom("articles")
      .where("deletedAt", "is", null)
      .where("publishedAt", "<=", now)
      .orderBy("publishedAt", "desc")
      .orderBy("id", "desc");
  return {
    /** The newest public articles, at most `limit`. */
    async articles(now: Date, limit: number): Promise<SitemapArticle[]> {
      const rows = await publicArticles(now).select(["id", "updatedAt"]).limit(limit).execute();
      return rows.map((row) => ({ id: row.id, updatedAt: new Date(row.updatedAt) }));
    },

    /** Public articles published at or after `since`, newest first, at most `limit`. */
    async publishedSince(since: Date, now: Date, limit: number): Promise<NewsArticle[]> {
      const rows = await publicArticles(now)
        .select(["id", "headline", "language", "publishedAt", "updatedAt"])
        .where("publishedAt", ">=", since)
        .limit(limit)
        .execute();
      return rows.map((row) => ({
        id: row.id,
        headline: row.headline,
        language: row.language,
        publishedAt: new Date(row.publishedAt),
        updatedAt: new Date(row.updatedAt),
      }));
    },

    /** When the next scheduled article goes public (the sitemaps change then by themselves). */
    async nextScheduled(now: Date): Promise<Date | null> {
      const row = await db
        .selectFrom("articles")
        .select((eb) => eb.fn.min("publishedAt").as("next"))
        .where("deletedAt", "is", null)
        .where("publishedAt", ">", now)
        .executeTakeFirst();
      return row?.next ? new Date(row.next) : null;
    },
  };
}

export type SitemapView = ReturnType<typeof createSitemapView>;
