import type {
  MessageQueue,
  MessageQueueDepth,
  MessageQueueEnqueueOptions,
  MessageQueueListenOptions,
} from "@fedify/fedify";
import type { Temporal } from "@js-temporal/polyfill";
import { type Kysely, sql } from "kysely";
import pg from "pg";
import { type Logger, silentLogger } from "../logger.ts";
import type { Database } from "./schema.ts";

/** The PostgreSQL channel on which enqueuers announce new messages to listening processes. */
export const FEDIFY_MESSAGES_CHANNEL = "fedify_messages";

export interface KyselyMessageQueueOptions {
  /** Name of the logical queue; queues with different names share the table but not messages. */
  readonly queue?: string;
  /** Messages handled at once by one `listen()` call (default 8). */
  readonly concurrency?: number;
  /**
   * How long a claimed message stays reserved for its consumer (default 60 s). A consumer that
   * dies mid-message (kill -9) holds it until the lease runs out; then another consumer gets it.
   * Live consumers renew the lease while their handler runs, so slow handlers are not duplicated.
   */
  readonly leaseMs?: number;
  /** How often an idle listener looks for work nobody told it about (default 1 s). */
  readonly pollIntervalMs?: number;
  /** Backoff after a handler throws: this, doubled per attempt (default 1 s)… */
  readonly retryDelayMs?: number;
  /** …up to this (default 5 min). */
  readonly maxRetryDelayMs?: number;
  /**
   * PostgreSQL URL for a dedicated LISTEN connection, so idle listeners wake as soon as another
   * process enqueues. Without it (e.g. on PGlite) they rely on polling and in-process wake-ups.
   */
  readonly listenUrl?: string;
  readonly logger?: Logger;
}

/** A message this consumer has leased: `worker` + `attempts` identify the lease. */
interface Claim {
  readonly id: string;
  readonly payload: unknown;
  readonly attempts: number;
  readonly worker: string;
}

/** What an enqueue announces (to this process's listeners directly, to others by NOTIFY). */
interface Announcement {
  /** queue name */
  readonly q: string;
  /** number of messages */
  readonly n: number;
  /** delay in milliseconds */
  readonly d: number;
  /** the announcing queue instance (which has already woken its own process's listeners) */
  readonly o: string;
}

/**
 * Fedify's message queue as rows in `fedify_messages`, on PostgreSQL or PGlite.
 *
 * Delivery is at least once: a message is deleted only after its handler succeeded; a failed
 * handler puts it back after a backoff; a crashed consumer's lease expires. It runs its own
 * `concurrency` worker loops — do not wrap it in Fedify's `ParallelMessageQueue`, which would
 * let this queue delete a message before the handler it was handed to had finished.
 */
export class KyselyMessageQueue implements MessageQueue {
  /** Fedify retries failed deliveries itself, by enqueueing them again with a delay. */
  readonly nativeRetrial = false;

  readonly #db: Kysely<Database>;
  readonly #queue: string;
  readonly #concurrency: number;
  readonly #leaseMs: number;
  readonly #pollIntervalMs: number;
  readonly #retryDelayMs: number;
  readonly #maxRetryDelayMs: number;
  readonly #listenUrl: string | undefined;
  readonly #logger: Logger;
  readonly #origin = crypto.randomUUID();

  constructor(db: Kysely<Database>, options: KyselyMessageQueueOptions = {}) {
    this.#db = db;
    this.#queue = options.queue ?? "default";
    this.#concurrency = Math.max(1, Math.floor(options.concurrency ?? 8));
    this.#leaseMs = options.leaseMs ?? 60_000;
    this.#pollIntervalMs = options.pollIntervalMs ?? 1_000;
    this.#retryDelayMs = options.retryDelayMs ?? 1_000;
    this.#maxRetryDelayMs = options.maxRetryDelayMs ?? 300_000;
    this.#listenUrl = options.listenUrl;
    this.#logger = options.logger ?? silentLogger;
  }

  enqueue(message: unknown, options?: MessageQueueEnqueueOptions): Promise<void> {
    return this.enqueueMany([message], options);
  }

  /**
   * One statement for the whole batch (one JSON array parameter, so no parameter limit), which
   * also NOTIFYs other processes. Rows get ids in array order, which is the order messages that
   * share an ordering key are handled in.
   */
  async enqueueMany(
    messages: readonly unknown[],
    options?: MessageQueueEnqueueOptions,
  ): Promise<void> {
    if (messages.length === 0) return;
    const delay = options?.delay as Temporal.Duration | undefined;
    const delayMs = delay == null ? 0 : Math.max(0, delay.total("millisecond"));
    const announcement: Announcement = {
      q: this.#queue,
      n: messages.length,
      d: delayMs,
      o: this.#origin,
    };
    await sql`
      with inserted as (
        insert into fedify_messages (queue, payload, ordering_key, available_at)
        select ${this.#queue}, m.value, ${options?.orderingKey ?? null}::text,
               now() + ${delayMs}::double precision * interval '1 millisecond'
        from jsonb_array_elements(${JSON.stringify(messages)}::jsonb) with ordinality as m (value, n)
        order by m.n
        returning 1
      )
      select pg_notify(${FEDIFY_MESSAGES_CHANNEL}, ${JSON.stringify(announcement)}) as notified,
             (select count(*) from inserted) as inserted
    `.execute(this.#db);
    wakeLocal(this.#db, announcement);
  }

  async getDepth(): Promise<MessageQueueDepth> {
    const { rows } = await sql<{ ready: number; delayed: number }>`
      select count(*) filter (where available_at <= now())::int as ready,
             count(*) filter (where available_at > now())::int as delayed
      from fedify_messages
      where queue = ${this.#queue} and (locked_until is null or locked_until <= now())
    `.execute(this.#db);
    const ready = rows[0]?.ready ?? 0;
    const delayed = rows[0]?.delayed ?? 0;
    return { queued: ready + delayed, ready, delayed };
  }

  /**
   * Runs `concurrency` worker loops until `signal` aborts, then lets in-flight handlers finish
   * (without claiming more) and resolves. Never rejects: database errors are logged and retried.
   */
  async listen(
    handler: (message: unknown) => Promise<void> | void,
    options: MessageQueueListenOptions = {},
  ): Promise<void> {
    const { signal } = options;
    if (signal?.aborted) return;
    const waker = new Waker(this.#concurrency);
    const unregister = registerWaker(this.#db, this.#queue, waker);
    const stopPolling = every(this.#pollIntervalMs, () => waker.wake(1));
    const notifications = this.#listenUrl
      ? new NotificationListener(
          this.#listenUrl,
          this.#logger,
          (announcement) => {
            if (announcement.q !== this.#queue || announcement.o === this.#origin) return;
            after(announcement.d, () => waker.wake(announcement.n));
          },
          () => waker.wake(this.#concurrency),
        )
      : undefined;
    const stop = () => waker.close();
    signal?.addEventListener("abort", stop, { once: true });
    try {
      const prefix = `${this.#origin.slice(0, 8)}:${crypto.randomUUID().slice(0, 8)}`;
      await Promise.all(
        Array.from({ length: this.#concurrency }, (_, i) =>
          this.#workLoop(handler, `${prefix}:${i}`, waker, signal),
        ),
      );
    } finally {
      signal?.removeEventListener("abort", stop);
      stopPolling();
      unregister();
      await notifications?.close();
    }
  }

  async #workLoop(
    handler: (message: unknown) => Promise<void> | void,
    worker: string,
    waker: Waker,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    // A handled message is acknowledged (deleted) by the loop's next claim, in the same round
    // trip: one statement per message while busy instead of two.
    let handled: Claim | undefined;
    while (!signal?.aborted) {
      let claim: Claim | undefined;
      const acknowledging = handled !== undefined;
      try {
        claim = await this.#claim(worker, handled);
        handled = undefined;
      } catch (error) {
        this.#logger.warn("fedify queue: could not claim a message; retrying", { error });
        await waker.sleep(this.#pollIntervalMs);
        continue;
      }
      if (claim === undefined) {
        // The claim ran on a snapshot from before its own acknowledgement, so a message that
        // was waiting behind the acknowledged one (same ordering key) was not yet claimable:
        // look once more.
        if (acknowledging) waker.wake(1);
        await waker.wait();
        continue;
      }
      // There may be more where this came from: let one idle sibling look too. Waking one per
      // successful claim ramps a burst up to full concurrency in a few round trips, without a
      // thundering herd of empty claims when a single message arrives.
      waker.wakeIdle(1);
      if (signal?.aborted) {
        // Shutting down: hand the message straight back rather than start on it.
        await this.#release(claim, 0, true).catch((error) =>
          this.#logger.warn("fedify queue: could not release a message", { error }),
        );
        break;
      }
      if (await this.#handle(handler, claim)) handled = claim;
    }
    if (handled) {
      await this.#acknowledge(handled).catch((error) =>
        this.#logger.warn(
          "fedify queue: could not acknowledge a message; it returns after its lease",
          {
            error,
            id: handled?.id,
          },
        ),
      );
    }
  }

  /**
   * Leases the first claimable message in one round trip (and, if given, acknowledges the
   * message this loop handled last). The claim itself is the `fedify_claim_message` function
   * from migrations/0002-fedify-storage.ts:
   *
   * - `for update skip locked`: concurrent claimers (other loops, other processes) step over a
   *   row someone else is claiming instead of waiting for it, so no two get the same message.
   * - A claimed row's `available_at` moves to the end of its lease, so in-flight messages drop
   *   out of the front of the claim index, and an abandoned one becomes claimable again by
   *   itself when the lease runs out.
   * - Ordering keys: a message is claimable only when no earlier message (smaller id) with the
   *   same key remains — waiting, delayed or in flight — so each key runs one message at a time,
   *   in enqueue order (a failed one blocks its successors until it succeeds).
   */
  async #claim(worker: string, handled: Claim | undefined): Promise<Claim | undefined> {
    type Row = { messageId: string; messagePayload: string; messageAttempts: number };
    const claim = sql<Row>`
      select * from fedify_claim_message(${this.#queue}, ${worker}, ${this.#leaseMs})`;
    const { rows } = await (handled === undefined
      ? claim
      : sql<Row>`with acknowledged as (${this.#acknowledgement(handled)}) ${claim}`
    ).execute(this.#db);
    const row = rows[0];
    if (row === undefined) return undefined;
    return {
      id: row.messageId,
      // Parsed here, not by the driver: the CamelCasePlugin would rename nested snake_case keys.
      payload: JSON.parse(row.messagePayload),
      attempts: row.messageAttempts,
      worker,
    };
  }

  /**
   * Deletes a handled message — only if the lease is still ours: if it expired and another
   * consumer took the message, that consumer owns it now (at-least-once: it runs twice).
   */
  #acknowledgement(claim: Claim) {
    return sql`
      delete from fedify_messages
      where id = ${claim.id}::bigint and locked_by = ${claim.worker}
        and attempts = ${claim.attempts}::int`;
  }

  async #acknowledge(claim: Claim): Promise<void> {
    await this.#acknowledgement(claim).execute(this.#db);
  }

  /**
   * Runs the handler with no transaction open. Returns true if it succeeded (the caller then
   * acknowledges the message); after a failure, releases the message for a retry after a backoff.
   */
  async #handle(
    handler: (message: unknown) => Promise<void> | void,
    claim: Claim,
  ): Promise<boolean> {
    const heartbeat = this.#keepLeased(claim);
    let failed = false;
    try {
      await handler(claim.payload);
    } catch (error) {
      failed = true;
      this.#logger.warn("fedify queue: handler failed; the message will be retried", {
        error,
        id: claim.id,
        attempts: claim.attempts,
      });
    }
    await heartbeat.stop();
    if (!failed) return true;
    const backoff = Math.min(
      this.#maxRetryDelayMs,
      this.#retryDelayMs * 2 ** Math.max(0, claim.attempts - 1),
    );
    try {
      await this.#release(claim, backoff, false);
      wakeLocal(this.#db, { q: this.#queue, n: 1, d: backoff, o: this.#origin });
    } catch (error) {
      this.#logger.warn("fedify queue: could not release a message; it returns after its lease", {
        error,
        id: claim.id,
      });
    }
    return false;
  }

  /** Makes the message claimable again after `delayMs`; `undo` also takes back the attempt. */
  async #release(claim: Claim, delayMs: number, undo: boolean): Promise<void> {
    await sql`
      update fedify_messages
      set locked_by = null, locked_until = null,
          available_at = now() + ${delayMs}::double precision * interval '1 millisecond',
          attempts = attempts - ${undo ? 1 : 0}::int
      where id = ${claim.id}::bigint and locked_by = ${claim.worker}
        and attempts = ${claim.attempts}::int
    `.execute(this.#db);
  }

  /** Renews the lease every third of its length while the handler runs. */
  #keepLeased(claim: Claim): { stop(): Promise<void> } {
    let renewing: Promise<void> = Promise.resolve();
    const renew = async () => {
      const lease = sql<Date>`now() + ${this.#leaseMs}::double precision * interval '1 millisecond'`;
      const result = await this.#db
        .updateTable("fedifyMessages")
        .set({ lockedUntil: lease, availableAt: lease })
        .where("id", "=", claim.id)
        .where("lockedBy", "=", claim.worker)
        .where("attempts", "=", claim.attempts)
        .executeTakeFirst();
      if (result.numUpdatedRows === 0n) {
        this.#logger.warn("fedify queue: lost the lease on a message still being handled", {
          id: claim.id,
        });
      }
    };
    const stopTimer = every(this.#leaseMs / 3, () => {
      renewing = renewing
        .then(renew)
        .catch((error) =>
          this.#logger.warn("fedify queue: could not renew a lease", { error, id: claim.id }),
        );
    });
    return {
      async stop() {
        stopTimer();
        await renewing;
      },
    };
  }
}

/**
 * Idle worker loops park here until there may be work. `wake(n)` wakes up to n parked loops and
 * remembers the rest as permits (capped), so a wake-up that lands while a loop is between its
 * empty claim and parking is not lost — the loop just claims once more.
 */
class Waker {
  readonly #max: number;
  #parked: Array<() => void> = [];
  #permits = 0;
  #closed = false;

  constructor(max: number) {
    this.#max = max;
  }

  wait(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    if (this.#permits > 0) {
      this.#permits--;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.#parked.push(resolve));
  }

  /** Like `wait()`, but also returns after `ms` (used to back off after database errors). */
  sleep(ms: number): Promise<void> {
    if (this.#closed) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.#parked = this.#parked.filter((parked) => parked !== wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.#parked.push(wake);
    });
  }

  wake(n: number): void {
    const left = n - this.wakeIdle(n);
    this.#permits = Math.min(this.#max, this.#permits + left);
  }

  /** Wakes up to n parked loops (no permits); returns how many it woke. */
  wakeIdle(n: number): number {
    let woken = 0;
    while (woken < n) {
      const parked = this.#parked.shift();
      if (parked === undefined) break;
      parked();
      woken++;
    }
    return woken;
  }

  close(): void {
    this.#closed = true;
    for (const parked of this.#parked.splice(0)) parked();
  }
}

/**
 * This process's listening wakers, per database and queue, so an enqueue wakes local listeners
 * at once (PGlite has no other process to hear from, and this skips the NOTIFY round trip).
 */
const localWakers = new WeakMap<Kysely<Database>, Map<string, Set<Waker>>>();

function registerWaker(db: Kysely<Database>, queue: string, waker: Waker): () => void {
  const queues = localWakers.get(db) ?? new Map<string, Set<Waker>>();
  localWakers.set(db, queues);
  const wakers = queues.get(queue) ?? new Set<Waker>();
  queues.set(queue, wakers);
  wakers.add(waker);
  return () => wakers.delete(waker);
}

function wakeLocal(db: Kysely<Database>, announcement: Announcement): void {
  const wakers = localWakers.get(db)?.get(announcement.q);
  if (!wakers || wakers.size === 0) return;
  after(announcement.d, () => {
    for (const waker of wakers) waker.wake(announcement.n);
  });
}

/**
 * Runs `fn` after `ms` (now if 0) on a timer that does not keep the process alive. A few ms of
 * slack, because a wake-up that lands just before the message's `available_at` finds nothing
 * and the message would then wait for the next poll.
 */
function after(ms: number, fn: () => void): void {
  if (ms <= 0) {
    fn();
    return;
  }
  const timer = setTimeout(fn, ms + 5);
  timer.unref?.();
}

/** Runs `fn` every `ms` until the returned function is called. */
function every(ms: number, fn: () => void): () => void {
  const timer = setInterval(fn, ms);
  timer.unref?.();
  return () => clearInterval(timer);
}

/**
 * LISTENs on a dedicated connection. After a lost connection it reconnects with backoff and
 * calls `onReconnect`, since announcements may have been missed meanwhile.
 */
class NotificationListener {
  readonly #url: string;
  readonly #logger: Logger;
  readonly #onAnnouncement: (announcement: Announcement) => void;
  readonly #onReconnect: () => void;
  #client: pg.Client | undefined;
  #closed = false;
  #attempt = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #connecting: Promise<void>;

  constructor(
    url: string,
    logger: Logger,
    onAnnouncement: (announcement: Announcement) => void,
    onReconnect: () => void,
  ) {
    this.#url = url;
    this.#logger = logger;
    this.#onAnnouncement = onAnnouncement;
    this.#onReconnect = onReconnect;
    this.#connecting = this.#connect();
  }

  async #connect(): Promise<void> {
    if (this.#closed) return;
    const client = new pg.Client({ connectionString: this.#url });
    client.on("notification", (message) => {
      if (message.channel !== FEDIFY_MESSAGES_CHANNEL || !message.payload) return;
      try {
        this.#onAnnouncement(JSON.parse(message.payload) as Announcement);
      } catch {
        this.#logger.warn("fedify queue: ignored a malformed notification", {
          payload: message.payload,
        });
      }
    });
    client.on("error", (error) => {
      this.#logger.warn("fedify queue: LISTEN connection lost; reconnecting", { error });
      this.#retry();
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${FEDIFY_MESSAGES_CHANNEL}`);
      if (this.#closed) {
        await client.end().catch(() => {});
        return;
      }
      this.#client = client;
      if (this.#attempt > 0) this.#onReconnect();
      this.#attempt = 0;
    } catch (error) {
      this.#logger.warn("fedify queue: could not LISTEN; retrying", { error });
      await client.end().catch(() => {});
      this.#retry();
    }
  }

  #retry(): void {
    if (this.#closed || this.#timer) return;
    this.#client?.end().catch(() => {});
    this.#client = undefined;
    this.#attempt++;
    this.#timer = setTimeout(
      () => {
        this.#timer = undefined;
        this.#connecting = this.#connect();
      },
      Math.min(30_000, 250 * 2 ** this.#attempt),
    );
    this.#timer.unref?.();
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    await this.#connecting;
    await this.#client?.end().catch(() => {});
    this.#client = undefined;
  }
}
