import { type Kysely, sql } from "kysely";
import type { FederationOutbox, OutboxKind } from "../domain/ports.ts";
import type { Database } from "./schema.ts";

/** Writes outbox entries in the caller's transaction. */
export function createFederationOutbox(db: Kysely<Database>): FederationOutbox {
  return {
    async enqueue(entries) {
      if (entries.length === 0) return;
      const createdAt = new Date();
      await db
        .insertInto("federationOutbox")
        .values(
          entries.map((entry) => ({
            kind: entry.kind,
            feedSlug: entry.feedSlug,
            articleId: entry.articleId ?? null,
            liveUpdateId: entry.liveUpdateId ?? null,
            correctionId: entry.correctionId ?? null,
            revision: entry.revision ?? null,
            movedFrom: entry.movedFrom ?? null,
            availableAt: entry.availableAt,
            createdAt,
          })),
        )
        .execute();
    },

    async withdrawPending(articleId, now) {
      await db
        .deleteFrom("federationOutbox")
        .where("articleId", "=", articleId)
        // The article's own entries; its updates' Creates move with it (thread-announcements.ts).
        .where("liveUpdateId", "is", null)
        .where("correctionId", "is", null)
        .where("processedAt", "is", null)
        .where("availableAt", ">", now)
        .execute();
    },
  };
}

/**
 * What the outbox relay does with the entries: claim, complete, release, and when to look
 * again. Outside any transaction (sending runs between claim and completion).
 */
export function createOutboxRelayStore(db: Kysely<Database>) {
  return {
    /**
     * Claims the oldest due entry with a lease, in one statement. A lease (not a held row lock)
     * because sending runs outside any transaction; a relay that dies mid-send leaves the lease
     * to expire, and another relay sends the same activity again (same id, so receivers
     * deduplicate).
     */
    async claim(now: Date, leaseMs: number): Promise<ClaimedOutboxEntry | undefined> {
      const leaseUntil = new Date(now.getTime() + leaseMs);
      const result = await sql<ClaimedOutboxEntry>`
        update federation_outbox set locked_until = ${leaseUntil}, attempts = attempts + 1
        where id = (
          select id from federation_outbox
          where processed_at is null and available_at <= ${now}
            and (locked_until is null or locked_until < ${now})
          order by available_at, id
          for update skip locked
          limit 1
        )
        returning id::text as id, kind, feed_slug as "feedSlug", article_id as "articleId",
          live_update_id as "liveUpdateId", correction_id as "correctionId", revision, attempts,
          quote_authorization_id as "quoteAuthorizationId", moved_from as "movedFrom",
          available_at > created_at as scheduled`.execute(db);
      return result.rows[0];
    },

    async complete(id: string, now: Date): Promise<void> {
      await db
        .updateTable("federationOutbox")
        .set({ processedAt: now, lockedUntil: null })
        .where("id", "=", id)
        .execute();
    },

    /** Gives the entry back after a failure, to be retried after `retryAt`. */
    async release(id: string, retryAt: Date): Promise<void> {
      await db
        .updateTable("federationOutbox")
        .set({ lockedUntil: null, availableAt: retryAt })
        .where("id", "=", id)
        .execute();
    },

    /** When the next entry becomes due (for sleeping until then), or null when none is pending. */
    async nextDue(): Promise<Date | null> {
      const row = await db
        .selectFrom("federationOutbox")
        .select((eb) => eb.fn.min("availableAt").as("next"))
        .where("processedAt", "is", null)
        .executeTakeFirst();
      return row?.next ? new Date(row.next) : null;
    },
  };
}

export type OutboxRelayStore = ReturnType<typeof createOutboxRelayStore>;

export interface ClaimedOutboxEntry {
  readonly id: string;
  readonly kind: OutboxKind;
  readonly feedSlug: string;
  readonly articleId: string | null;
  readonly liveUpdateId: string | null;
  /** Set when the entry announces this correction's reply in the article's thread. */
  readonly correctionId: string | null;
  readonly revision: number | null;
  /** Set: the Accept of this quote (kind create), not an announcement to followers. */
  readonly quoteAuthorizationId: string | null;
  /** Kind `move`: the old slug whose actor sends the Move to `feedSlug`'s followers. */
  readonly movedFrom: string | null;
  readonly attempts: number;
  /**
   * Due later than it was written: a scheduled article's Create (or a retry), so its relaying
   * is the moment the story goes public.
   */
  readonly scheduled: boolean;
}
