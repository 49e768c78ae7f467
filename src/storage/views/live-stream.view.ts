import type { LiveUpdate } from "../../domain/article.ts";
import { LIVE_UPDATE_LIMIT } from "../../domain/live-update-service.ts";
import type { Db } from "../database.ts";
import { createLiveUpdateRepository } from "../live-update-repository.ts";

/**
 * An article's live updates as readers see them (page and `/articles/ID/updates.json`): only
 * those published by `now` and not deleted, newest first. Scheduled updates stay hidden until
 * their time, with no write to reveal them.
 */
export function createLiveStreamView(db: Db) {
  const updates = createLiveUpdateRepository(db);
  return {
    published(articleId: string, now: Date): Promise<LiveUpdate[]> {
      return updates.listForArticle(articleId, { limit: LIVE_UPDATE_LIMIT, publicAt: now });
    },
    /** When the stream next changes by itself: its earliest scheduled update (null: none). */
    nextScheduled(articleId: string, now: Date): Promise<Date | null> {
      return updates.nextScheduledForArticles([articleId], now);
    },
  };
}

export type LiveStreamView = ReturnType<typeof createLiveStreamView>;
