import type { Kysely } from "kysely";
import type { Database } from "../../src/storage/schema.ts";
import type { PeerFarm } from "./fediverse-peer.ts";

/** Every actor of the farm as a follower of `feedSlug`, written straight to the table. */
export async function insertFarmFollowers(
  db: Kysely<Database>,
  farm: PeerFarm,
  feedSlug: string,
): Promise<void> {
  await db
    .insertInto("followers")
    .values(
      farm.actors.map((actor) => ({
        feedSlug,
        actorId: actor.id,
        inboxUrl: actor.inbox,
        sharedInboxUrl: actor.sharedInbox,
        followId: null,
        createdAt: new Date(),
      })),
    )
    .execute();
}
