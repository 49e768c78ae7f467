import { Temporal } from "@js-temporal/polyfill";
import { type Kysely, sql } from "kysely";
import type { FeedChangeAnnouncer } from "../domain/ports.ts";
import { KyselyMessageQueue } from "../fedify-kysely/index.ts";
import { coalesced } from "./coalesced-statement.ts";
import type { Database } from "./schema.ts";

/** The logical queue (in `fedify_messages`) that carries WebSub distribution work. */
export const WEBSUB_QUEUE = "websub";

/**
 * The two jobs of a distribution. A topic job says "this feed changed": its handler raises the
 * feed's version and queues one delivery job per subscriber that has none queued. A delivery
 * job names only the subscription: its handler sends whatever document is current then, so a
 * subscriber who is behind gets the newest one once, never every intermediate one.
 */
export type WebSubJob =
  | { readonly type: "websub-topic"; readonly feed: string }
  | { readonly type: "websub-delivery"; readonly subscription: string };

export function readWebSubJob(message: unknown): WebSubJob | undefined {
  if (typeof message !== "object" || message === null) return undefined;
  const job = message as Record<string, unknown>;
  if (job.type === "websub-topic" && typeof job.feed === "string") {
    return { type: "websub-topic", feed: job.feed };
  }
  if (job.type === "websub-delivery" && typeof job.subscription === "string") {
    return { type: "websub-delivery", subscription: job.subscription };
  }
  return undefined;
}

/**
 * Inside a change's transaction: one topic job per changed feed that has subscribers, so the
 * distribution commits with the change or not at all (the transactional outbox, on the queue).
 */
export function createWebSubChangeQueue(executor: Kysely<Database>): FeedChangeAnnouncer {
  return {
    async announce(slugs) {
      if (slugs.length === 0) return;
      const subscribed = await executor
        .selectFrom("websubSubscriptions")
        .select("feedSlug")
        .distinct()
        .where("feedSlug", "in", [...new Set(slugs)])
        .execute();
      if (subscribed.length === 0) return;
      const jobs: WebSubJob[] = subscribed.map((row) => ({
        type: "websub-topic",
        feed: row.feedSlug,
      }));
      await new KyselyMessageQueue(executor, { queue: WEBSUB_QUEUE }).enqueueMany(jobs);
    },
  };
}

/** A subscription as its delivery job sees it. */
export interface WebSubDeliveryTarget {
  readonly id: string;
  readonly feedSlug: string;
  readonly format: string;
  readonly topic: string;
  readonly callback: string;
  readonly secret: string | null;
  readonly expiresAt: Date;
  readonly targetVersion: number;
  readonly deliveredVersion: number;
  readonly deliveredEtag: string | null;
}

/** What a delivery job reports when the subscriber has a version (see `settle`). */
export interface Settled {
  readonly id: string;
  readonly version: number;
  readonly etag: string | null;
  readonly at: Date;
  readonly result?: string | undefined;
}

/** The database side of the WebSub distribution (migrations/0014-websub-distribution.ts). */
export function createWebSubDistributionStore(db: Kysely<Database>) {
  const queueOf = (executor: Kysely<Database>) =>
    new KyselyMessageQueue(executor, { queue: WEBSUB_QUEUE });

  return {
    /**
     * One transaction: raises the feed's version, owes it to every live subscriber, and queues
     * a delivery job for each subscriber that has none queued already (one that is being
     * retried will send the newest document anyway). Run again after a crash, it queues
     * nothing twice. Returns the new version and how many jobs were queued.
     */
    async fanOut(feedSlug: string, now: Date): Promise<{ version: number; queued: number }> {
      return db.transaction().execute(async (trx) => {
        const bumped = await sql<{ version: string }>`
          insert into websub_feed_versions (feed_slug, version) values (${feedSlug}, 1)
          on conflict (feed_slug) do update set version = websub_feed_versions.version + 1
          returning version::text as version`.execute(trx);
        const version = Number(bumped.rows[0]?.version);
        // Leases that ran out end here; the hub no longer counts them either.
        await trx
          .deleteFrom("websubSubscriptions")
          .where("feedSlug", "=", feedSlug)
          .where("expiresAt", "<=", now)
          .execute();
        // The old job_queued is read under a row lock, so a delivery finishing meanwhile is
        // either seen as finished (a job is queued) or sees the new target (and keeps going).
        const marked = await sql<{ id: string; wasQueued: boolean }>`
          update websub_subscriptions s
          set target_version = ${version}, job_queued = true
          from (
            select id, job_queued from websub_subscriptions
            where feed_slug = ${feedSlug} and expires_at > ${now}
            order by id
            for update
          ) old
          where s.id = old.id
          returning s.id::text as id, old.job_queued as "wasQueued"`.execute(trx);
        const jobs: WebSubJob[] = marked.rows
          .filter((row) => !row.wasQueued)
          .map((row) => ({ type: "websub-delivery", subscription: row.id }));
        if (jobs.length > 0) await queueOf(trx).enqueueMany(jobs);
        return { version, queued: jobs.length };
      });
    },

    /** The feed's current version (0 before its first distribution). */
    async feedVersion(feedSlug: string): Promise<number> {
      const row = await db
        .selectFrom("websubFeedVersions")
        .select("version")
        .where("feedSlug", "=", feedSlug)
        .executeTakeFirst();
      return Number(row?.version ?? 0);
    },

    /** Read by id; delivery jobs running at once share one query. */
    findForDelivery: coalesced(async (ids: readonly string[]) => {
      const rows = await db
        .selectFrom("websubSubscriptions")
        .select([
          sql<string>`id::text`.as("id"),
          "feedSlug",
          "format",
          "topic",
          "callback",
          "secret",
          "expiresAt",
          "targetVersion",
          "deliveredVersion",
          "deliveredEtag",
        ])
        .where("id", "in", [...new Set(ids)])
        .execute();
      const byId = new Map(
        rows.map((row): [string, WebSubDeliveryTarget] => [
          row.id,
          {
            ...row,
            targetVersion: Number(row.targetVersion),
            deliveredVersion: Number(row.deliveredVersion),
          },
        ]),
      );
      return ids.map((id) => byId.get(id));
    }),

    /**
     * The subscriber has the document of `version` (`result`: the status it answered, or
     * undefined when nothing had to be sent, the same ETag being delivered already). Resolves
     * with whether a newer version is owed meanwhile (the job goes on), false also when the
     * subscription is gone. Jobs settling at once share one statement.
     */
    settle: coalesced(async (settled: readonly Settled[]) => {
      const { rows } = await sql<{ id: string; jobQueued: boolean }>`
        update websub_subscriptions s set
          delivered_version = greatest(s.delivered_version, r.version),
          delivered_etag = r.etag,
          failed_attempts = 0,
          last_delivery_at = coalesce(r.at, s.last_delivery_at),
          last_delivery_result = coalesce(r.result, s.last_delivery_result),
          job_queued = s.target_version > greatest(s.delivered_version, r.version)
        from unnest(${settled.map((x) => x.id)}::bigint[], ${settled.map((x) => x.version)}::bigint[],
                    ${settled.map((x) => x.etag)}::text[],
                    ${settled.map((x) => (x.result === undefined ? null : x.at.toISOString()))}::timestamptz[],
                    ${settled.map((x) => x.result ?? null)}::text[])
          as r (id, version, etag, at, result)
        where s.id = r.id
        returning s.id::text as id, s.job_queued as "jobQueued"`.execute(db);
      const owed = new Map(rows.map((row) => [row.id, row.jobQueued]));
      return settled.map((x) => owed.get(x.id) ?? false);
    }),

    /** A failed attempt; returns the failures in a row so far. */
    async recordFailure(id: string, at: Date, result: string): Promise<number> {
      const row = await db
        .updateTable("websubSubscriptions")
        .set((eb) => ({
          failedAttempts: sql`${eb.ref("failedAttempts")} + 1`,
          lastDeliveryAt: at,
          lastDeliveryResult: result,
        }))
        .where("id", "=", id)
        .returning("failedAttempts")
        .executeTakeFirst();
      return row?.failedAttempts ?? 0;
    },

    /** No more tries for what is owed now; the next change queues a job again. */
    async giveUp(id: string): Promise<void> {
      await db
        .updateTable("websubSubscriptions")
        .set({ jobQueued: false, failedAttempts: 0 })
        .where("id", "=", id)
        .execute();
    },

    async remove(id: string): Promise<void> {
      await db.deleteFrom("websubSubscriptions").where("id", "=", id).execute();
    },

    /**
     * A topic job for when the feed's document changes by itself (an embargoed article or a
     * scheduled update goes public), unless one is queued for then already.
     */
    async scheduleTopic(feedSlug: string, delayMs: number): Promise<void> {
      const queued = await sql<{ found: number }>`
        select 1 as found from fedify_messages
        where queue = ${WEBSUB_QUEUE} and payload ->> 'type' = 'websub-topic'
          and payload ->> 'feed' = ${feedSlug}
          and abs(extract(epoch from available_at - now()) * 1000 - ${delayMs}) < 1000
        limit 1`.execute(db);
      if (queued.rows.length > 0) return;
      const job: WebSubJob = { type: "websub-topic", feed: feedSlug };
      await queueOf(db).enqueue(job, {
        delay: Temporal.Duration.from({ milliseconds: Math.ceil(delayMs) }),
      });
    },
  };
}

export type WebSubDistributionStore = ReturnType<typeof createWebSubDistributionStore>;
