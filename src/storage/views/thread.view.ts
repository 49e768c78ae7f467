import { sql } from "kysely";
import type { Db } from "../database.ts";
import { shownReplies } from "../interaction-repository.ts";

/** One slice of an ordered list, and how long the whole list is. */
export interface ThreadSlice<T> {
  readonly total: number;
  readonly items: readonly T[];
}

/** What follows an article's post in its thread: an update, a correction or a reader's reply. */
export type ThreadEntry =
  | { readonly kind: "update"; readonly id: string }
  | { readonly kind: "correction"; readonly id: string }
  | { readonly kind: "reply"; readonly id: string };

/** The article's own follow-ups in its thread: its updates and corrections. */
export type ThreadFollowUp = Extract<ThreadEntry, { kind: "update" | "correction" }>;

export interface SliceRange {
  readonly offset: number;
  readonly limit: number;
}

/**
 * An article's thread on the fediverse (src/federation: the `context` and `replies`
 * collections): its public live updates, the replies of its corrections (those made once the
 * article was public; see `correctionInThread`) and the replies readers see, oldest first.
 * Embargoed and deleted updates are not in it.
 */
export function createThreadView(db: Db) {
  const followUps = (articleId: string, now: Date) =>
    db
      .selectFrom("liveUpdates")
      .where("articleId", "=", articleId)
      .where("deletedAt", "is", null)
      .where("publishedAt", "<=", now)
      .select([
        sql<ThreadEntry["kind"]>`'update'`.as("kind"),
        sql<string>`id::text`.as("id"),
        "publishedAt",
      ])
      .unionAll(
        db
          .selectFrom("articleCorrections as c")
          .innerJoin("articles as a", "a.id", "c.articleId")
          .where("c.articleId", "=", articleId)
          .where("c.correctedAt", "<=", now)
          .whereRef("c.correctedAt", ">=", "a.publishedAt")
          .select([
            sql<ThreadEntry["kind"]>`'correction'`.as("kind"),
            sql<string>`c.id::text`.as("id"),
            "c.correctedAt as publishedAt",
          ]),
      );

  const shownRepliesOf = (articleId: string) =>
    db
      .selectFrom("articleReplies")
      .where("articleId", "=", articleId)
      .where(shownReplies)
      .select([
        sql<ThreadEntry["kind"]>`'reply'`.as("kind"),
        "articleReplies.id",
        "articleReplies.publishedAt",
      ]);

  /** One slice of `entries` by time (then id), and how many there are in all. */
  async function slice<T extends ThreadEntry>(
    entries: ReturnType<typeof followUps>,
    range: SliceRange,
  ): Promise<ThreadSlice<T>> {
    const [count, rows] = await Promise.all([
      db
        .selectFrom(entries.as("entries"))
        .select((eb) => eb.fn.countAll<string>().as("n"))
        .executeTakeFirstOrThrow(),
      range.limit === 0
        ? []
        : db
            .selectFrom(entries.as("entries"))
            .select(["kind", "id"])
            .orderBy("publishedAt")
            .orderBy("id")
            .offset(range.offset)
            .limit(range.limit)
            .execute(),
    ]);
    return { total: Number(count.n), items: rows as T[] };
  }

  return {
    /** The article's public updates and corrections, oldest first: the thread after its post. */
    followUps(
      articleId: string,
      now: Date,
      range: SliceRange,
    ): Promise<ThreadSlice<ThreadFollowUp>> {
      return slice(followUps(articleId, now), range);
    },

    /** Everything that answers the article's post: its follow-ups and readers' replies. */
    replies(articleId: string, now: Date, range: SliceRange): Promise<ThreadSlice<ThreadEntry>> {
      return slice(followUps(articleId, now).unionAll(shownRepliesOf(articleId)), range);
    },
  };
}

export type ThreadView = ReturnType<typeof createThreadView>;
