import { type Kysely, sql } from "kysely";
import type { Database } from "./schema.ts";

export interface Follower {
  readonly actorId: string;
  readonly inboxUrl: string;
  readonly sharedInboxUrl: string | null;
}

/** A feed's fediverse followers. */
export function createFollowerRepository(db: Kysely<Database>) {
  return {
    /** Adds or refreshes a follower (a repeated Follow updates its inboxes). */
    async add(feedSlug: string, follower: Follower & { followId: string | null }, at: Date) {
      await db
        .insertInto("followers")
        .values({ feedSlug, ...follower, createdAt: at })
        .onConflict((oc) =>
          oc.columns(["feedSlug", "actorId"]).doUpdateSet({
            inboxUrl: follower.inboxUrl,
            sharedInboxUrl: follower.sharedInboxUrl,
            followId: follower.followId,
          }),
        )
        .execute();
    },

    /** Whether `actorId` follows the feed (a quote policy of `followers`). */
    async follows(feedSlug: string, actorId: string): Promise<boolean> {
      const row = await db
        .selectFrom("followers")
        .select("actorId")
        .where("feedSlug", "=", feedSlug)
        .where("actorId", "=", actorId)
        .executeTakeFirst();
      return row !== undefined;
    },

    async remove(feedSlug: string, actorId: string): Promise<boolean> {
      const result = await db
        .deleteFrom("followers")
        .where("feedSlug", "=", feedSlug)
        .where("actorId", "=", actorId)
        .executeTakeFirst();
      return result.numDeletedRows > 0n;
    },

    /** An actor deleted itself (or its server is gone): it follows nothing here any more. */
    async removeEverywhere(actorIds: readonly string[]): Promise<number> {
      if (actorIds.length === 0) return 0;
      const result = await db
        .deleteFrom("followers")
        .where("actorId", "in", [...actorIds])
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    },

    async count(feedSlug: string): Promise<number> {
      const row = await db
        .selectFrom("followers")
        .select((eb) => eb.fn.countAll<string>().as("n"))
        .where("feedSlug", "=", feedSlug)
        .executeTakeFirstOrThrow();
      return Number(row.n);
    },

    /**
     * One follower per inbox a delivery goes to (the shared inbox if the follower's server has
     * one, else its own): what a fan-out needs, since each inbox gets one POST whoever it is for.
     */
    async onePerInbox(feedSlug: string): Promise<Follower[]> {
      return db
        .selectFrom("followers")
        .distinctOn(sql`coalesce(shared_inbox_url, inbox_url)`)
        .select(["actorId", "inboxUrl", "sharedInboxUrl"])
        .where("feedSlug", "=", feedSlug)
        .execute();
    },

    /** An inbox is gone (404/410): every follower reached through it, in every feed, goes too. */
    async removeByInbox(inboxUrl: string): Promise<number> {
      const result = await db
        .deleteFrom("followers")
        .where((eb) => eb.or([eb("inboxUrl", "=", inboxUrl), eb("sharedInboxUrl", "=", inboxUrl)]))
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    },

    /** A page of followers ordered by actor id; `after` is the last actor id of the previous page. */
    async page(feedSlug: string, after: string | null, limit: number): Promise<Follower[]> {
      let query = db
        .selectFrom("followers")
        .select(["actorId", "inboxUrl", "sharedInboxUrl"])
        .where("feedSlug", "=", feedSlug);
      if (after !== null) query = query.where("actorId", ">", after);
      return query.orderBy("actorId").limit(limit).execute();
    },
  };
}

export type FollowerRepository = ReturnType<typeof createFollowerRepository>;
