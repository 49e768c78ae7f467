import type { Article } from "../domain/article.ts";
import { decodeCursor, encodeCursor } from "../domain/cursor.ts";
import type { Clock } from "../domain/ports.ts";
import { createArticleRepository } from "../storage/article-repository.ts";
import type { Db } from "../storage/database.ts";
import { createFollowerRepository } from "../storage/follower-repository.ts";
import { createInteractionRepository, type Reply } from "../storage/interaction-repository.ts";

export interface StoryPage {
  readonly articles: readonly Article[];
  /** Cursor of the next (older) page, or null on the last page. */
  readonly older: string | null;
}

export interface ArticleReactions {
  readonly likes: number;
  readonly boosts: number;
  readonly replies: number;
  readonly replyList: readonly Reply[];
}

/**
 * What the reader pages show, read straight from the database: a view, not a use case, so it
 * goes around the domain services (which only own writes and the admin API's reads).
 */
export function createReaderQueries(db: Db, clock: Clock) {
  const articles = createArticleRepository(db);
  return {
    /** One page of a feed's stories, newest first; `cursor` comes from a previous page. */
    async stories(slug: string, size: number, cursor: string | undefined): Promise<StoryPage> {
      const after = cursor === undefined ? undefined : decodeCursor(cursor);
      const rows = await articles.listPublicInFeed(slug, size + 1, clock.now(), after);
      const page = rows.slice(0, size);
      const last = page.at(-1);
      return { articles: page, older: rows.length > size && last ? encodeCursor(last) : null };
    },

    followerCount(slug: string): Promise<number> {
      return createFollowerRepository(db).count(slug);
    },

    async reactions(articleId: string): Promise<ArticleReactions> {
      const interactions = createInteractionRepository(db);
      const [counts, replyList] = await Promise.all([
        interactions.counts(articleId),
        interactions.replies(articleId),
      ]);
      return { ...counts, replyList };
    },
  };
}

export type ReaderQueries = ReturnType<typeof createReaderQueries>;
