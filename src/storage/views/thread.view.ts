import { sql } from "kysely";
import type { Db } from "../database.ts";
import { shownReplies } from "../interaction-repository.ts";

/** One slice of an ordered list, and how long the whole list is. */
export interface ThreadSlice<T> {
  readonly total: number;
  readonly items: readonly T[];
}

/** What follows an article's post in its thread: one of its updates or a reader's reply. */
export type ThreadEntry =
  | { readonly kind: "update"; readonly id: string }
  | { readonly kind: "reply"; readonly id: string };

export interface SliceRange {
  readonly offset: number;
  readonly limit: number;
}

/**
 * An article's thread on the fediverse (src/federation: the `context` and `replies`
 * collections): its public live updates and the replies readers see, oldest first. Embargoed
 * and deleted updates are not in it.
 */
export function createThreadView(db: Db) {
  const publicUpdates = (articleId: string, now: Date) =>
    db
      .selectFrom("liveUpdates")
      .where("articleId", "=", articleId)
      .where("deletedAt", "is", null)
      .where("publishedAt", "<=", now);

  const shownRepliesOf = (articleId: string) =>
    db.selectFrom("articleReplies").where("articleId", "=", articleId).where(shownReplies);

  return {
    /** The article's public updates, oldest first: the thread after the article's post. */
    async updates(articleId: string, now: Date, range: SliceRange): Promise<ThreadSlice<string>> {
      const [count, rows] = await Promise.all([
        publicUpdates(articleId, now)
          .select((eb) => eb.fn.countAll<string>().as("n"))
          .executeTakeFirstOrThrow(),
        range.limit === 0
          ? []
          : publicUpdates(articleId, now)
              .select("id")
              .orderBy("publishedAt")
              .orderBy("id")
              .offset(range.offset)
              .limit(range.limit)
              .execute(),
      ]);
      return { total: Number(count.n), items: rows.map((row) => row.id) };
    },

    /** Everything that answers the article's post: its public updates and readers' replies. */
    async replies(
      articleId: string,
      now: Date,
      range: SliceRange,
    ): Promise<ThreadSlice<ThreadEntry>> {
      const entries = publicUpdates(articleId, now)
        .select([
          sql<ThreadEntry["kind"]>`'update'`.as("kind"),
          sql<string>`id::text`.as("id"),
          "publishedAt",
        ])
        .unionAll(
          shownRepliesOf(articleId).select([
            sql<ThreadEntry["kind"]>`'reply'`.as("kind"),
            "articleReplies.id",
            "articleReplies.publishedAt",
          ]),
        );
      const [count, rows] = await Promise.all([
        db
          .selectFrom(entries.as("entries"))
          .select((eb) => eb.fn.countAll<string>().as("n"))
          .executeTakeFirstOrThrow(),
        db
          .selectFrom(entries.as("entries"))
          .select(["kind", "id"])
          .orderBy("publishedAt")
          .orderBy("id")
          .offset(range.offset)
          .limit(range.limit)
          .execute(),
      ]);
      return { total: Number(count.n), items: rows as ThreadEntry[] };
    },
  };
}

export type ThreadView = ReturnType<typeof createThreadView>;
