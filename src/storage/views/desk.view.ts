import { sql } from "kysely";
import { isUuid } from "../../domain/cursor.ts";
import type { Db } from "../database.ts";

/** One day of a chart: its UTC date (`2026-12-07`) and a count. */
export interface DayCount {
  readonly day: string;
  readonly count: number;
}

export interface FeedFollowers {
  readonly feedSlug: string;
  readonly followers: number;
  /**
   * Followers at the end of each of the last `days` days, oldest first, counted from today's
   * followers' `created_at`: an unfollow leaves no row, so a past day counts only those who
   * still follow (a lower bound; see the README's desk section).
   */
  readonly history: readonly DayCount[];
}

export interface ArticleReach {
  readonly likes: readonly DayCount[];
  readonly boosts: readonly DayCount[];
  readonly replies: readonly DayCount[];
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** The desk's read model: followers over time and an article's reach (servers: delivery-record.view.ts). */
export function createDeskView(db: Db) {
  return {
    async followersByFeed(now: Date, days: number): Promise<FeedFollowers[]> {
      const since = startOfDay(new Date(now.getTime() - (days - 1) * DAY_MS));
      const [totals, recent] = await Promise.all([
        db
          .selectFrom("followers")
          .select(["feedSlug", sql<number>`count(*)::int`.as("n")])
          .groupBy("feedSlug")
          .execute(),
        db
          .selectFrom("followers")
          .select([
            "feedSlug",
            sql<string>`to_char(created_at at time zone 'UTC', 'YYYY-MM-DD')`.as("day"),
            sql<number>`count(*)::int`.as("n"),
          ])
          .where("createdAt", ">=", since)
          .groupBy(["feedSlug", "day"])
          .execute(),
      ]);
      return totals.map(({ feedSlug, n }) => {
        const joined = new Map(
          recent.filter((row) => row.feedSlug === feedSlug).map((row) => [row.day, row.n]),
        );
        // Walk back from today: the day before had today's count less today's new followers.
        const history: DayCount[] = [];
        let count = n;
        for (let i = 0; i < days; i++) {
          const day = isoDay(new Date(now.getTime() - i * DAY_MS));
          history.unshift({ day, count });
          count -= joined.get(day) ?? 0;
        }
        return { feedSlug, followers: n, history };
      });
    },

    /** Likes, boosts and (visible) replies per UTC day, oldest first. */
    async reach(articleId: string): Promise<ArticleReach> {
      if (!isUuid(articleId)) return { likes: [], boosts: [], replies: [] };
      const day = sql<string>`to_char(created_at at time zone 'UTC', 'YYYY-MM-DD')`;
      const [interactions, replies] = await Promise.all([
        db
          .selectFrom("articleInteractions")
          .select(["kind", day.as("day"), sql<number>`count(*)::int`.as("n")])
          .where("articleId", "=", articleId)
          .groupBy(["kind", "day"])
          .orderBy("day")
          .execute(),
        db
          .selectFrom("articleReplies")
          .select([day.as("day"), sql<number>`count(*)::int`.as("n")])
          .where("articleId", "=", articleId)
          .where("hiddenAt", "is", null)
          .groupBy("day")
          .orderBy("day")
          .execute(),
      ]);
      const of = (kind: "like" | "announce") =>
        interactions
          .filter((row) => row.kind === kind)
          .map((row) => ({ day: row.day, count: row.n }));
      return {
        likes: of("like"),
        boosts: of("announce"),
        replies: replies.map((row) => ({ day: row.day, count: row.n })),
      };
    },
  };
}

export type DeskView = ReturnType<typeof createDeskView>;

function startOfDay(date: Date): Date {
  return new Date(`${isoDay(date)}T00:00:00Z`);
}

function isoDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}
