import type { Kysely } from "kysely";
import type { Database } from "./schema.ts";

/** A verified subscription, as the hub and the admin listing see it. */
export interface WebSubSubscription {
  readonly feedSlug: string;
  readonly format: string;
  readonly topic: string;
  readonly callback: string;
  readonly callbackHost: string;
  readonly secret: string | null;
  readonly leaseSeconds: number;
  readonly expiresAt: Date;
  readonly verifiedAt: Date;
  readonly lastDeliveryAt: Date | null;
  readonly lastDeliveryResult: string | null;
}

export type NewWebSubSubscription = Omit<
  WebSubSubscription,
  "lastDeliveryAt" | "lastDeliveryResult"
>;

/** The WebSub hub's subscriptions (migrations/0008-websub.ts). */
export function createWebSubRepository(db: Kysely<Database>) {
  return {
    /** A verified (re)subscription replaces the one for the same topic and callback. */
    async upsert(subscription: NewWebSubSubscription): Promise<void> {
      await db
        .insertInto("websubSubscriptions")
        .values(subscription)
        .onConflict((oc) =>
          oc.columns(["topic", "callback"]).doUpdateSet({
            secret: subscription.secret,
            leaseSeconds: subscription.leaseSeconds,
            expiresAt: subscription.expiresAt,
            verifiedAt: subscription.verifiedAt,
          }),
        )
        .execute();
    },

    async remove(topic: string, callback: string): Promise<void> {
      await db
        .deleteFrom("websubSubscriptions")
        .where("topic", "=", topic)
        .where("callback", "=", callback)
        .execute();
    },

    /** Live subscriptions of a callback host other than the one for this topic and callback. */
    async countOtherByHost(host: string, topic: string, callback: string, now: Date) {
      const row = await db
        .selectFrom("websubSubscriptions")
        .select((eb) => eb.fn.countAll<string>().as("n"))
        .where("callbackHost", "=", host)
        .where("expiresAt", ">", now)
        .where((eb) => eb.or([eb("topic", "<>", topic), eb("callback", "<>", callback)]))
        .executeTakeFirst();
      return Number(row?.n ?? 0);
    },

    /** Live subscriptions of every host but the one for this topic and callback. */
    async countOtherLive(topic: string, callback: string, now: Date) {
      const row = await db
        .selectFrom("websubSubscriptions")
        .select((eb) => eb.fn.countAll<string>().as("n"))
        .where("expiresAt", ">", now)
        .where((eb) => eb.or([eb("topic", "<>", topic), eb("callback", "<>", callback)]))
        .executeTakeFirst();
      return Number(row?.n ?? 0);
    },

    /** Live subscriptions of a feed's documents (all formats), oldest first. */
    async listLive(feedSlug: string, now: Date): Promise<WebSubSubscription[]> {
      return db
        .selectFrom("websubSubscriptions")
        .select(COLUMNS)
        .where("feedSlug", "=", feedSlug)
        .where("expiresAt", ">", now)
        .orderBy("id")
        .execute();
    },

    /** Every subscription of a feed, expired ones too (the admin listing). */
    async listAll(feedSlug: string): Promise<WebSubSubscription[]> {
      return db
        .selectFrom("websubSubscriptions")
        .select(COLUMNS)
        .where("feedSlug", "=", feedSlug)
        .orderBy("id")
        .execute();
    },

    /** Drops subscriptions whose lease ran out; returns how many. */
    async dropExpired(now: Date): Promise<number> {
      const result = await db
        .deleteFrom("websubSubscriptions")
        .where("expiresAt", "<=", now)
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    },

    async recordDelivery(topic: string, callback: string, at: Date, result: string) {
      await db
        .updateTable("websubSubscriptions")
        .set({ lastDeliveryAt: at, lastDeliveryResult: result })
        .where("topic", "=", topic)
        .where("callback", "=", callback)
        .execute();
    },
  };
}

const COLUMNS = [
  "feedSlug",
  "format",
  "topic",
  "callback",
  "callbackHost",
  "secret",
  "leaseSeconds",
  "expiresAt",
  "verifiedAt",
  "lastDeliveryAt",
  "lastDeliveryResult",
] as const;

export type WebSubRepository = ReturnType<typeof createWebSubRepository>;
