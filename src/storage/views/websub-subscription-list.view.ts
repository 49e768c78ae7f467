import type { Db } from "../database.ts";

/** A WebSub subscription as the admin API lists it (never its secret or full callback URL). */
export interface WebSubSubscriptionListing {
  readonly topic: string;
  readonly callbackHost: string;
  readonly state: "active" | "expired";
  readonly leaseEndsAt: Date;
  readonly verifiedAt: Date;
  readonly signed: boolean;
  readonly lastDeliveryAt: Date | null;
  readonly lastDeliveryResult: string | null;
}

/** `GET /admin/websub/subscriptions?feed=SLUG`: a feed's subscribers, oldest first. */
export function createWebSubSubscriptionListView(db: Db) {
  return {
    /** undefined when there is no such feed. */
    async list(slug: string, now: Date): Promise<WebSubSubscriptionListing[] | undefined> {
      const feed = await db
        .selectFrom("feeds")
        .select("slug")
        .where("slug", "=", slug)
        .executeTakeFirst();
      if (!feed) return undefined;
      const rows = await db
        .selectFrom("websubSubscriptions")
        .select([
          "topic",
          "callbackHost",
          "secret",
          "expiresAt",
          "verifiedAt",
          "lastDeliveryAt",
          "lastDeliveryResult",
        ])
        .where("feedSlug", "=", slug)
        .orderBy("id")
        .limit(10_000)
        .execute();
      return rows.map((row) => ({
        topic: row.topic,
        callbackHost: row.callbackHost,
        state: row.expiresAt.getTime() > now.getTime() ? "active" : "expired",
        leaseEndsAt: row.expiresAt,
        verifiedAt: row.verifiedAt,
        signed: row.secret !== null,
        lastDeliveryAt: row.lastDeliveryAt,
        lastDeliveryResult: row.lastDeliveryResult,
      }));
    },
  };
}

export type WebSubSubscriptionListView = ReturnType<typeof createWebSubSubscriptionListView>;
