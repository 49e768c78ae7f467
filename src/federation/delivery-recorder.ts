import type { Logger } from "../logger.ts";
import type { DeliveryRecordStore, HostOutcome } from "../storage/delivery-record-store.ts";

/** What one sender said about one POST of one activity to one inbox. */
export interface DeliveryAttempt {
  readonly activityId: string | undefined;
  readonly inbox: string;
  /** The HTTP status ("202"), or "timeout" / "error" / "circuit" (held too long). */
  readonly status: string;
  readonly delivered: boolean;
  /** The inbox will not be tried again (404/410, out of retries, circuit held too long). */
  readonly givenUp: boolean;
}

export interface DeliveryRecorderOptions {
  readonly logger: Logger;
  readonly now?: () => Date;
  /** Outcomes wait this long for more before they are written (default 250 ms). */
  readonly flushDelayMs?: number;
  /** Written at once when this many (activity, host) pairs wait (default 1,000). */
  readonly maxPending?: number;
}

/** Pairs kept for a retry after a failed write, at most: the record is bounded, never the app. */
const MAX_KEPT_AFTER_FAILURE = 10_000;

/**
 * Folds the senders' outcomes in memory, per activity and remote host, and writes them in
 * batches: one UPDATE per batch (a fan-out to a thousand servers is a handful of statements,
 * not a thousand; docs/adr/0007). `record` never waits and never throws into a delivery; a write
 * that fails is kept for the next (within a bound) and logged. Outcomes still in memory when a
 * process dies are lost: the record then shows those servers pending, which the queue's own
 * redelivery (or the prune) settles.
 */
export class DeliveryRecorder {
  readonly #store: Pick<DeliveryRecordStore, "recordOutcomes">;
  readonly #logger: Logger;
  readonly #now: () => Date;
  readonly #flushDelayMs: number;
  readonly #maxPending: number;
  #pending = new Map<string, HostOutcome>();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #flushing: Promise<void> | undefined;

  constructor(
    store: Pick<DeliveryRecordStore, "recordOutcomes">,
    options: DeliveryRecorderOptions,
  ) {
    this.#store = store;
    this.#logger = options.logger;
    this.#now = options.now ?? (() => new Date());
    this.#flushDelayMs = options.flushDelayMs ?? 250;
    this.#maxPending = options.maxPending ?? 1_000;
  }

  record(attempt: DeliveryAttempt): void {
    if (attempt.activityId === undefined) return;
    let host: string;
    try {
      host = new URL(attempt.inbox).host;
    } catch {
      return;
    }
    const at = this.#now();
    const key = `${attempt.activityId} ${host}`;
    const before = this.#pending.get(key);
    this.#pending.set(key, {
      activityId: attempt.activityId,
      host,
      delivered: (before?.delivered ?? 0) + (attempt.delivered ? 1 : 0),
      givenUp: (before?.givenUp ?? 0) + (attempt.givenUp && !attempt.delivered ? 1 : 0),
      attempts: (before?.attempts ?? 0) + 1,
      lastStatus: attempt.status,
      lastAttemptAt: at,
      lastSuccessAt: attempt.delivered ? at : (before?.lastSuccessAt ?? null),
      lastFailureAt: attempt.delivered ? (before?.lastFailureAt ?? null) : at,
    });
    // A full batch goes at once, unless one is being written: it then goes right after that one
    // (one flush waiting, not one per outcome).
    if (this.#pending.size >= this.#maxPending && !this.#flushing) void this.flush();
    else this.#timer ??= unref(setTimeout(() => void this.flush(), this.#flushDelayMs));
  }

  /** Writes what is waiting (one statement); resolves when it is written or logged as lost. */
  async flush(): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    // One write at a time: what arrives meanwhile waits for the next.
    while (this.#flushing) await this.#flushing;
    if (this.#pending.size === 0) return;
    const batch = this.#pending;
    this.#pending = new Map();
    this.#flushing = this.#write(batch).finally(() => {
      this.#flushing = undefined;
      if (this.#pending.size >= this.#maxPending) void this.flush();
    });
    await this.#flushing;
  }

  async #write(batch: Map<string, HostOutcome>): Promise<void> {
    try {
      await this.#store.recordOutcomes([...batch.values()]);
    } catch (error) {
      // Merged back under the newer outcomes, for the next write; past the bound, dropped.
      const kept = batch.size + this.#pending.size <= MAX_KEPT_AFTER_FAILURE;
      this.#logger.warn(
        kept
          ? "delivery record: could not write outcomes; retrying with the next batch"
          : "delivery record: could not write outcomes; dropped",
        { pairs: batch.size, error },
      );
      if (kept) {
        for (const [key, outcome] of batch) {
          const newer = this.#pending.get(key);
          this.#pending.set(key, newer ? merged(outcome, newer) : outcome);
        }
        this.#timer ??= unref(setTimeout(() => void this.flush(), 4 * this.#flushDelayMs));
      }
    }
  }
}

/** An older and a newer fold of the same pair, as one. */
function merged(older: HostOutcome, newer: HostOutcome): HostOutcome {
  return {
    ...newer,
    delivered: older.delivered + newer.delivered,
    givenUp: older.givenUp + newer.givenUp,
    attempts: older.attempts + newer.attempts,
    lastSuccessAt: newer.lastSuccessAt ?? older.lastSuccessAt,
    lastFailureAt: newer.lastFailureAt ?? older.lastFailureAt,
  };
}

function unref<T>(timer: T): T {
  (timer as { unref?: () => void }).unref?.();
  return timer;
}
