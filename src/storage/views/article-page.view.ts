import type { Db } from "../database.ts";
import { createInteractionRepository, type Reply } from "../interaction-repository.ts";

/** What the fediverse said about an article: counts, and the replies as stored (sanitised). */
export interface ArticleReactions {
  readonly likes: number;
  readonly boosts: number;
  readonly replies: number;
  /** Approved quotes (FEP-044f) not revoked since. */
  readonly quotes: number;
  readonly replyList: readonly Reply[];
}

/** An article's page (`/articles/ID`): the reactions shown under the story. */
export function createArticlePageView(db: Db) {
  const interactions = createInteractionRepository(db);
  return {
    async reactions(articleId: string): Promise<ArticleReactions> {
      const [counts, replyList] = await Promise.all([
        interactions.counts(articleId),
        interactions.replies(articleId),
      ]);
      return { ...counts, replyList };
    },
  };
}

export type ArticlePageView = ReturnType<typeof createArticlePageView>;
