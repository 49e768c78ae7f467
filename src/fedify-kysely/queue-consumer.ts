import { type Kysely, sql } from "kysely";
import { outageRetryDelayMs, warnDatabaseError } from "./database-unavailable.ts";
import type { Logger } from "./logger.ts";
import { PerKeyLimit, type PerKeyLimitOptions } from "./per-key-limit.ts";
import type { FedifyDatabase } from "./schema.ts";
import { sweepOrphanShares } from "./sweep.ts";

/** A message this consumer has leased: its `consumer` + `attempts` identify the lease. */
export interface Claim {
  readonly id: string;
  readonly payload: unknown;
  readonly attempts: number;
}

export interface QueueConsumerOptions {
  readonly queue: string;
  /** Names this consumer's leases (`locked_by`); unique per `listen()` call. */
  readonly consumer: string;
  readonly concurrency: number;
  readonly leaseMs: number;
  readonly retryDelayMs: number;
  readonly maxRetryDelayMs: number;
  /** Back-off after the database failed a claim; doubled per further failure, up to 5 s. */
  readonly errorDelayMs: number;
  readonly logger: Logger;
  /** Called after a failed handler's message was put back, to wake listeners when it is due. */
  readonly onReleased: (delayMs: number) => void;
  /** Handlers at once per key (deliveries: per remote host); unset: no bound but `concurrency`. */
  readonly perKey?: PerKeyLimitOptions | undefined;
  /**
   * Stop once nothing is due: a claim found no message and no handler is running (where no
   * process listens, e.g. a Worker's invocation). Messages due later are left for later.
   */
  readonly untilIdle?: boolean;
}

/**
 * One `listen()` call's work: it leases messages in batches and runs up to `concurrency`
 * handlers at once.
 *
 * A single claim loop talks to the database. Each round trip (the `fedify_claim_messages`
 * function of migrations/0004-batched-queue.ts) acknowledges — deletes — every message whose
 * handler finished since the last one and leases as many new messages as there are free slots,
 * plus a quarter of `concurrency` ahead, so a finished handler's slot is refilled at once rather
 * than after a round trip. While the queue is busy, the loop waits until a quarter of the slots
 * are free before it claims again, so a fan-out of a thousand deliveries costs tens of round
 * trips, not thousands.
 * The leases of all messages in hand are renewed together, by one statement a third of a lease.
 *
 * Delivery is at least once: a message is deleted only after its handler succeeded; a failed
 * handler puts it back after a backoff; a crashed consumer's leases expire.
 */
export class QueueConsumer {
  readonly #db: Kysely<FedifyDatabase>;
  readonly #options: QueueConsumerOptions;
  readonly #handler: (message: unknown) => Promise<void> | void;
  /** Claim again once this many slots are free (while handlers are running). */
  readonly #batchSlots: number;
  /** Messages held at once: running, plus a batch leased ahead (see `#ready`). */
  readonly #capacity: number;
  readonly #perKey: PerKeyLimit | undefined;
  /**
   * Leased messages that wait because their key is at its limit (as of the last `#fill`). They
   * do not count against `#capacity`, so one busy host does not stall the others' messages; the
   * most held at once, waiting or not, is `#maxReady`.
   */
  #waitingForKey = 0;
  readonly #maxReady: number;
  readonly #inFlight = new Map<string, Claim>();
  /**
   * Leased, waiting for a free slot: a finished handler's slot is refilled at once, without
   * waiting for a round trip to the database (the next batch is being claimed meanwhile).
   */
  #ready: Claim[] = [];
  readonly #running = new Set<Promise<void>>();
  /** Handled messages waiting to be acknowledged by the next round trip. */
  #handled: Claim[] = [];
  /** The queue may hold claimable messages (an announcement, a poll, or a full batch). */
  #mayHaveWork = true;
  #closed = false;
  /** Round trips failed in a row (the database is down or unreachable). */
  #failures = 0;
  /** No claim before this (ms since the epoch): a wake-up does not cut a back-off short. */
  #retryAt = 0;
  #wakeLoop: (() => void) | undefined;
  #lastShare: { readonly text: string; readonly value: Record<string, unknown> } | undefined;

  /** The name its leases carry (`locked_by`). */
  get id(): string {
    return this.#options.consumer;
  }

  constructor(
    db: Kysely<FedifyDatabase>,
    handler: (message: unknown) => Promise<void> | void,
    options: QueueConsumerOptions,
  ) {
    this.#db = db;
    this.#handler = handler;
    this.#options = options;
    this.#batchSlots = Math.max(1, Math.floor(options.concurrency / 4));
    this.#capacity = options.concurrency + this.#batchSlots;
    this.#perKey = options.perKey && new PerKeyLimit(options.perKey);
    this.#maxReady = this.#perKey ? 4 * this.#capacity : this.#capacity;
  }

  /** There may be new work: claim at the next chance. */
  wake(): void {
    this.#mayHaveWork = true;
    this.#nudge();
  }

  /** Stop claiming; `run()` then finishes the handlers in flight and resolves. */
  close(): void {
    this.#closed = true;
    this.#nudge();
  }

  /** Runs until `close()`; never rejects (database errors are logged and retried). */
  async run(): Promise<void> {
    const stopRenewing = every(this.#options.leaseMs / 3, () => void this.#renewLeases());
    const stopSweeping = every(SWEEP_INTERVAL_MS, () => void this.#sweepShares());
    try {
      while (!this.#closed) {
        const backingOff = this.#retryAt - Date.now();
        if (backingOff > 0) {
          await this.#nextEvent(backingOff);
          continue;
        }
        if (!this.#shouldClaim()) {
          await this.#nextEvent();
          continue;
        }
        await this.#claimAndStart();
      }
      // Shutting down: hand back what was leased ahead, then let the running handlers finish.
      if (this.#ready.length > 0) {
        await this.#release(this.#ready.splice(0), 0, true).catch(this.#warnUnreleased);
      }
      while (this.#running.size > 0) await Promise.race(this.#running);
      if (this.#handled.length > 0) await this.#roundTrip(0).catch(this.#warnUnacknowledged);
    } finally {
      stopRenewing();
      stopSweeping();
    }
  }

  #shouldClaim(): boolean {
    const held = this.#held();
    const free = this.#capacity - held;
    if (free <= 0 || this.#ready.length >= this.#maxReady) return false;
    if (!this.#mayHaveWork && this.#handled.length === 0) return false;
    // Busy: wait for a worthwhile batch of free slots rather than a round trip per message.
    return held === 0 || free >= this.#batchSlots;
  }

  /** Messages counted against `#capacity`: running, and leased ones that could start. */
  #held(): number {
    return this.#inFlight.size + this.#ready.length - this.#waitingForKey;
  }

  async #claimAndStart(): Promise<void> {
    const limit = Math.min(this.#capacity - this.#held(), this.#maxReady - this.#ready.length);
    this.#mayHaveWork = false;
    let claims: Claim[];
    try {
      claims = await this.#roundTrip(limit);
    } catch (error) {
      // Messages in hand keep running; their acknowledgements wait for the next round trip.
      this.#failures++;
      const delayMs = outageRetryDelayMs(this.#failures, this.#options.errorDelayMs);
      warnDatabaseError(
        this.#options.logger,
        `fedify queue: could not claim messages; retrying in ${delayMs / 1000} s`,
        error,
      );
      this.#mayHaveWork = true;
      this.#retryAt = Date.now() + delayMs;
      return;
    }
    if (this.#failures > 0) {
      this.#options.logger.info("fedify queue: claiming messages again");
      this.#failures = 0;
    }
    if (this.#closed && claims.length > 0) {
      // Shutting down: hand the messages straight back rather than start on them.
      await this.#release(claims, 0, true).catch(this.#warnUnreleased);
      return;
    }
    // A full batch: there may be more where it came from.
    if (claims.length === limit) this.#mayHaveWork = true;
    // A drain looks again while it finds work and after each handler (which may queue more);
    // once nothing is due and nothing runs, it is over (acknowledgements go on the way out).
    // A handler that finished during this round trip may have queued more than the claim saw
    // (it set #mayHaveWork again): then the drain looks once more before it ends.
    if (this.#options.untilIdle) {
      if (claims.length > 0) this.#mayHaveWork = true;
      else if (!this.#mayHaveWork && this.#inFlight.size === 0 && this.#ready.length === 0) {
        this.#closed = true;
      }
    }
    this.#ready.push(...claims);
    this.#fill();
  }

  /**
   * Starts leased messages, oldest first, while there are free slots (not once closing),
   * passing over those whose key is at its limit.
   */
  #fill(): void {
    let next = 0;
    while (
      !this.#closed &&
      this.#inFlight.size < this.#options.concurrency &&
      next < this.#ready.length
    ) {
      const claim = this.#ready[next] as Claim;
      const key = this.#perKey ? this.#perKey.take(claim.payload) : null;
      if (key === undefined) {
        next++;
        continue;
      }
      this.#ready.splice(next, 1);
      this.#start(claim, key);
    }
    this.#waitingForKey = next;
  }

  /** Acknowledges the handled messages and leases up to `limit` new ones, in one statement. */
  async #roundTrip(limit: number): Promise<Claim[]> {
    const acks = this.#handled;
    this.#handled = [];
    type Row = {
      messageId: string;
      messagePayload: string;
      messageAttempts: number;
      messageShare: string | null;
    };
    try {
      const { rows } = await sql<Row>`
        select * from fedify_claim_messages(
          ${this.#options.queue}, ${this.#options.consumer}, ${this.#options.leaseMs}, ${limit}::int,
          ${acks.map((claim) => claim.id)}::bigint[], ${acks.map((claim) => claim.attempts)}::int[])
      `.execute(this.#db);
      return rows
        .map((row) => ({
          id: row.messageId,
          // Parsed here, not by the driver: the CamelCasePlugin would rename nested keys.
          payload: this.#withShare(JSON.parse(row.messagePayload), row.messageShare),
          attempts: row.messageAttempts,
        }))
        .sort((a, b) => compareIds(a.id, b.id));
    } catch (error) {
      // Not acknowledged: keep them for the next round trip (their leases are still renewed).
      this.#handled = acks.concat(this.#handled);
      throw error;
    }
  }

  /**
   * The message as enqueued: its own properties plus the parts it shared with its batch. A
   * fan-out's messages arrive with the same shared text (the activity and keys, ~7 kB), so the
   * last one parsed is reused: its objects are shared, read-only, by those messages' handlers.
   */
  #withShare(payload: unknown, share: string | null): unknown {
    if (share === null) return payload;
    if (this.#lastShare?.text !== share) {
      this.#lastShare = { text: share, value: JSON.parse(share) as Record<string, unknown> };
    }
    return { ...this.#lastShare.value, ...(payload as object) };
  }

  #start(claim: Claim, key: string | null): void {
    this.#inFlight.set(claim.id, claim);
    const running = this.#handle(claim).finally(() => {
      this.#running.delete(running);
      this.#inFlight.delete(claim.id);
      this.#perKey?.release(key);
      if (this.#options.untilIdle) this.#mayHaveWork = true;
      this.#fill();
      this.#nudge();
    });
    this.#running.add(running);
  }

  /** Runs the handler with no transaction open; a failure puts the message back with a backoff. */
  async #handle(claim: Claim): Promise<void> {
    try {
      await this.#handler(claim.payload);
    } catch (error) {
      warnDatabaseError(
        this.#options.logger,
        `fedify queue: handler failed on message ${claim.id} (attempt ${claim.attempts}); it will be retried`,
        error,
      );
      const { retryDelayMs, maxRetryDelayMs } = this.#options;
      const backoff = Math.min(
        maxRetryDelayMs,
        retryDelayMs * 2 ** Math.max(0, claim.attempts - 1),
      );
      try {
        await this.#release([claim], backoff, false);
        this.#options.onReleased(backoff);
      } catch (releaseError) {
        warnDatabaseError(
          this.#options.logger,
          `fedify queue: could not release message ${claim.id}; it returns after its lease`,
          releaseError,
        );
      }
      return;
    }
    this.#handled.push(claim);
  }

  /** Makes messages claimable again after `delayMs`; `undo` also takes back the attempt. */
  async #release(claims: readonly Claim[], delayMs: number, undo: boolean): Promise<void> {
    await sql`
      update fedify_messages m
      set locked_by = null, locked_until = null,
          available_at = now() + ${delayMs}::double precision * interval '1 millisecond',
          attempts = m.attempts - ${undo ? 1 : 0}::int
      from unnest(${claims.map((c) => c.id)}::bigint[], ${claims.map((c) => c.attempts)}::int[])
        as r (id, attempts)
      where m.id = r.id and m.attempts = r.attempts and m.locked_by = ${this.#options.consumer}
    `.execute(this.#db);
  }

  /** Extends the lease of every message in hand (running or awaiting acknowledgement). */
  async #renewLeases(): Promise<void> {
    const held = [...this.#inFlight.values(), ...this.#ready, ...this.#handled];
    if (held.length === 0) return;
    try {
      const result = await sql`
        update fedify_messages m
        set locked_until = now() + ${this.#options.leaseMs}::double precision * interval '1 millisecond',
            available_at = now() + ${this.#options.leaseMs}::double precision * interval '1 millisecond'
        from unnest(${held.map((c) => c.id)}::bigint[], ${held.map((c) => c.attempts)}::int[])
          as r (id, attempts)
        where m.id = r.id and m.attempts = r.attempts and m.locked_by = ${this.#options.consumer}
      `.execute(this.#db);
      const renewed = Number(result.numAffectedRows ?? 0n);
      if (renewed < held.length) {
        // Acknowledged meanwhile, or (after a long stall) taken over by another consumer.
        this.#options.logger.debug("fedify queue: renewed fewer leases than held", {
          held: held.length,
          renewed,
        });
      }
    } catch (error) {
      warnDatabaseError(this.#options.logger, "fedify queue: could not renew leases", error);
    }
  }

  async #sweepShares(): Promise<void> {
    try {
      await sweepOrphanShares(this.#db);
    } catch (error) {
      warnDatabaseError(this.#options.logger, "fedify queue: could not sweep shared parts", error);
    }
  }

  /** Resolves at the next wake-up, handler completion or close (or after `ms`, if given). */
  #nextEvent(ms?: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = ms === undefined ? undefined : setTimeout(done, ms);
      const self = this;
      function done() {
        if (timer) clearTimeout(timer);
        if (self.#wakeLoop === done) self.#wakeLoop = undefined;
        resolve();
      }
      this.#wakeLoop = done;
    });
  }

  #nudge(): void {
    this.#wakeLoop?.();
  }

  readonly #warnUnacknowledged = (error: unknown) =>
    warnDatabaseError(
      this.#options.logger,
      `fedify queue: could not acknowledge ${this.#handled.length} messages; they return after their lease`,
      error,
    );

  readonly #warnUnreleased = (error: unknown) =>
    warnDatabaseError(
      this.#options.logger,
      "fedify queue: could not release messages; they return after their lease",
      error,
    );
}

/** How often a consumer looks for orphaned shared parts. */
const SWEEP_INTERVAL_MS = 5 * 60_000;

/** Orders bigint ids given as decimal strings. */
function compareIds(a: string, b: string): number {
  return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
}

/** Runs `fn` every `ms` until the returned function is called. */
export function every(ms: number, fn: () => void): () => void {
  const timer = setInterval(fn, ms);
  timer.unref?.();
  return () => clearInterval(timer);
}
