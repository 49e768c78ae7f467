import { decodeKeyset, encodeKeyset } from "../../domain/cursor.ts";
import type { Db } from "../database.ts";

/** A follower as the admin API lists it: with when it followed. */
export interface FollowerListing {
  readonly actorId: string;
  readonly inboxUrl: string;
  readonly sharedInboxUrl: string | null;
  readonly createdAt: Date;
}

export interface FollowerPage {
  readonly items: readonly FollowerListing[];
  readonly total: number;
  /** Cursor of the next (older) page, or null on the last page. */
  readonly nextCursor: string | null;
}

export type FollowerPageResult =
  | { readonly ok: true; readonly value: FollowerPage }
  | { readonly ok: false; readonly error: "feed-not-found" | "invalid-cursor" };

/** `GET /admin/feeds/SLUG/followers`: who follows a feed, newest first (then by actor id). */
export function createFollowerListView(db: Db) {
  return {
    async page(
      slug: string,
      limit: number,
      cursor: string | undefined,
    ): Promise<FollowerPageResult> {
      const after = cursor === undefined ? null : decodeKeyset(cursor);
      if (after === undefined) return { ok: false, error: "invalid-cursor" };
      const feed = await db
        .selectFrom("feeds")
        .select("slug")
        .where("slug", "=", slug)
        .executeTakeFirst();
      if (!feed) return { ok: false, error: "feed-not-found" };

      let query = db
        .selectFrom("followers")
        .select(["actorId", "inboxUrl", "sharedInboxUrl", "createdAt"])
        .where("feedSlug", "=", slug);
      if (after !== null) {
        query = query.where((eb) =>
          eb.or([
            eb("createdAt", "<", after.at),
            eb.and([eb("createdAt", "=", after.at), eb("actorId", "<", after.key)]),
          ]),
        );
      }
      // One extra row tells whether there is a next page.
      const [rows, total] = await Promise.all([
        query
          .orderBy("createdAt", "desc")
          .orderBy("actorId", "desc")
          .limit(limit + 1)
          .execute(),
        db
          .selectFrom("followers")
          .select((eb) => eb.fn.countAll<string>().as("n"))
          .where("feedSlug", "=", slug)
          .executeTakeFirstOrThrow(),
      ]);
      const items = rows
        .slice(0, limit)
        .map((row) => ({ ...row, createdAt: new Date(row.createdAt) }));
      const last = items.at(-1);
      return {
        ok: true,
        value: {
          items,
          total: Number(total.n),
          nextCursor:
            rows.length > limit && last
              ? encodeKeyset({ at: last.createdAt, key: last.actorId })
              : null,
        },
      };
    },
  };
}

export type FollowerListView = ReturnType<typeof createFollowerListView>;
