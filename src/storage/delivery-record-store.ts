import { sql } from "kysely";
import type { Db } from "./database.ts";

/** One activity queued for the inboxes of some remote hosts (one chunk of a fan-out). */
export interface QueuedActivity {
  readonly activityId: string;
  readonly articleId: string;
  readonly revision: number;
  readonly feedSlug: string;
  readonly kind: "create" | "update" | "delete";
  /** Inboxes the activity was queued for, by remote host (`URL.host`). */
  readonly inboxesByHost: ReadonlyMap<string, number>;
}

/**
 * What the senders said about one activity at one host since the last write, folded together
 * (delivery-recorder.ts): a batch of these is one statement.
 */
export interface HostOutcome {
  readonly activityId: string;
  readonly host: string;
  /** Inboxes that took the activity (2xx). */
  readonly delivered: number;
  /** Inboxes given up for good (404/410, out of retries, a circuit held too long). */
  readonly givenUp: number;
  /** POSTs answered or failed. */
  readonly attempts: number;
  /** The latest attempt's HTTP status, or "timeout" / "error". */
  readonly lastStatus: string;
  readonly lastAttemptAt: Date;
  readonly lastSuccessAt: Date | null;
  readonly lastFailureAt: Date | null;
}

/** Rows pruned per statement, so a prune never becomes one long-running statement. */
const PRUNE_BATCH = 1_000;

/**
 * Writes the delivery record (migrations/0019, docs/adr/0007): a row per activity and host when
 * the relay queues it, the senders' outcomes folded in by batch, old rows pruned. Outside any
 * transaction: the record describes deliveries, it never decides them.
 */
export function createDeliveryRecordStore(db: Db) {
  return {
    /** One INSERT for every host of the chunk; a repeated relay keeps the rows it finds. */
    async recordQueued(queued: QueuedActivity, at: Date): Promise<void> {
      if (queued.inboxesByHost.size === 0) return;
      const { activityId, articleId, revision, feedSlug, kind } = queued;
      await db
        .insertInto("deliveryRecords")
        .values(
          [...queued.inboxesByHost].map(([host, inboxes]) => ({
            activityId,
            host,
            articleId,
            revision,
            feedSlug,
            kind,
            inboxes,
            lastStatus: null,
            lastAttemptAt: null,
            lastSuccessAt: null,
            lastFailureAt: null,
            createdAt: at,
          })),
        )
        .onConflict((oc) => oc.columns(["activityId", "host"]).doNothing())
        .execute();
    },

    /**
     * Folds a batch of outcomes into their rows, in one UPDATE. Outcomes of activities the relay
     * did not record (actor updates, live updates, quotes' Accepts) match no row and cost nothing.
     */
    async recordOutcomes(outcomes: readonly HostOutcome[]): Promise<void> {
      if (outcomes.length === 0) return;
      const iso = (date: Date | null) => date?.toISOString() ?? null;
      await sql`
        update delivery_records r set
          delivered = least(r.inboxes, r.delivered + u.delivered),
          given_up = least(r.inboxes, r.given_up + u.given_up),
          attempts = r.attempts + u.attempts,
          last_status = case when r.last_attempt_at is null or u.last_attempt_at >= r.last_attempt_at
            then u.last_status else r.last_status end,
          last_attempt_at = greatest(r.last_attempt_at, u.last_attempt_at),
          last_success_at = greatest(r.last_success_at, u.last_success_at),
          last_failure_at = greatest(r.last_failure_at, u.last_failure_at)
        from unnest(
          ${outcomes.map((o) => o.activityId)}::text[], ${outcomes.map((o) => o.host)}::text[],
          ${outcomes.map((o) => o.delivered)}::int[], ${outcomes.map((o) => o.givenUp)}::int[],
          ${outcomes.map((o) => o.attempts)}::int[], ${outcomes.map((o) => o.lastStatus)}::text[],
          ${outcomes.map((o) => iso(o.lastAttemptAt))}::timestamptz[],
          ${outcomes.map((o) => iso(o.lastSuccessAt))}::timestamptz[],
          ${outcomes.map((o) => iso(o.lastFailureAt))}::timestamptz[]
        ) as u (activity_id, host, delivered, given_up, attempts, last_status, last_attempt_at,
          last_success_at, last_failure_at)
        where r.activity_id = u.activity_id and r.host = u.host
      `.execute(db);
    },

    /** Deletes rows written before `before`, a batch per statement; returns how many went. */
    async prune(before: Date, maxBatches = 20): Promise<number> {
      let pruned = 0;
      for (let batch = 0; batch < maxBatches; batch++) {
        const result = await sql`
          delete from delivery_records
          where (activity_id, host) in (
            select activity_id, host from delivery_records
            where created_at < ${before.toISOString()}::timestamptz
            limit ${PRUNE_BATCH}
          )
        `.execute(db);
        const rows = Number(result.numAffectedRows ?? 0n);
        pruned += rows;
        if (rows < PRUNE_BATCH) break;
      }
      return pruned;
    },
  };
}

export type DeliveryRecordStore = ReturnType<typeof createDeliveryRecordStore>;
