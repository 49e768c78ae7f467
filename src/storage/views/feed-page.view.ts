import type { Article } from "../../domain/article.ts";
import { decodeCursor, encodeCursor } from "../../domain/cursor.ts";
import { createArticleRepository } from "../article-repository.ts";
import type { Db } from "../database.ts";
import { createFollowerRepository } from "../follower-repository.ts";

/** One page of a feed's stories, newest first. */
export interface StoryPage {
  readonly articles: readonly Article[];
  /** Cursor of the next (older) page, or null on the last page. */
  readonly older: string | null;
}

/** A feed's page (`/SLUG`): its public stories a page at a time, and how many follow it. */
export function createFeedPageView(db: Db) {
  const articles = createArticleRepository(db);
  const followers = createFollowerRepository(db);
  return {
    /** `cursor` comes from a previous page's `older`; a cursor this view never gave is page 1. */
    async stories(
      slug: string,
      size: number,
      cursor: string | undefined,
      now: Date,
    ): Promise<StoryPage> {
      const after = cursor === undefined ? undefined : decodeCursor(cursor);
      const rows = await articles.listPublicInFeed(slug, size + 1, now, after);
      const page = rows.slice(0, size);
      const last = page.at(-1);
      return { articles: page, older: rows.length > size && last ? encodeCursor(last) : null };
    },

    followerCount(slug: string): Promise<number> {
      return followers.count(slug);
    },
  };
}

export type FeedPageView = ReturnType<typeof createFeedPageView>;
