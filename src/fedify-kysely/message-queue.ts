import type {
  MessageQueue,
  MessageQueueDepth,
  MessageQueueEnqueueOptions,
  MessageQueueListenOptions,
} from "@fedify/fedify";
import type { Temporal } from "@js-temporal/polyfill";
import { type Kysely, sql } from "kysely";
import type pg from "pg";
import { warnDatabaseError } from "./database-unavailable.ts";
import { listenOnChannel } from "./listen-connection.ts";
import { type Logger, silentLogger } from "./logger.ts";
import type { PerKeyLimitOptions } from "./per-key-limit.ts";
import { every, QueueConsumer, type QueueConsumerOptions } from "./queue-consumer.ts";
import { type FedifyDatabase, fedifyTables, type KyselyWithFedifyTables } from "./schema.ts";

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
   * Where to open a dedicated LISTEN connection (pg client options, e.g. `{ connectionString }`),
   * so idle listeners wake as soon as another process enqueues. Without it (e.g. on PGlite) they
   * rely on polling and in-process wake-ups.
   */
  readonly listen?: pg.ClientConfig;
  /**
   * How the work of a consumer that died (kill -9, a crash) is taken over before its lease runs
   * out (see `takeOverDeadLeases`):
   * - `"lock"` (the default with `listen`): each consumer holds a session advisory lock on its
   *   LISTEN connection, which PostgreSQL drops with the connection when the process dies; any
   *   live consumer releases the leases of owners whose lock is gone, at start and every 2 s.
   *   Should the lock connection drop while its process lives, that process's messages may be
   *   handed out again before it reconnects: at least once, as ever (the same activity id).
   * - `"single-process"`: the database has one process (PGlite): at start, every lease not held
   *   by a live consumer of this process is released.
   * - `"lease"` (the default without `listen`): leases simply run out.
   */
  readonly takeover?: "lock" | "single-process" | "lease";
  /**
   * Handlers at once per key, within `concurrency` (deliveries: per remote host, so one server
   * is never hammered); messages whose key is at its limit wait while others run.
   */
  readonly perKey?: PerKeyLimitOptions | undefined;
  readonly logger?: Logger;
}

/** The first key of the two-key advisory locks that mark live consumers ("ti"). */
const CONSUMER_LOCK_CLASS = 0x7469;
/** Marks a consumer id whose owner holds its advisory lock (only those are taken over). */
const LOCKED_OWNER_PREFIX = "l.";
/** How often consumers look for leases of owners that are gone (lock mode). */
const TAKEOVER_INTERVAL_MS = 2_000;

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

/** One row to insert: the message and its ordering key. */
interface Row {
  readonly payload: unknown;
  readonly orderingKey: string | null;
}

/** `enqueue()` calls of one tick with the same delay, inserted together. */
interface PendingBatch {
  readonly rows: Row[];
  readonly done: Promise<void>;
}

/** Rows per INSERT: bounds the size of one statement's JSON parameter. */
const MAX_ROWS_PER_INSERT = 1_000;

/**
 * Fedify's message queue as rows in `fedify_messages`, on PostgreSQL or PGlite.
 *
 * Delivery is at least once: a message is deleted only after its handler succeeded; a failed
 * handler puts it back after a backoff; a crashed consumer's lease expires. Each `listen()` runs
 * its own `concurrency` handlers (src/fedify-kysely/queue-consumer.ts) — do not wrap it in
 * Fedify's `ParallelMessageQueue`, which would let this queue delete a message before the
 * handler it was handed to had finished.
 */
export class KyselyMessageQueue implements MessageQueue {
  /** Fedify retries failed deliveries itself, by enqueueing them again with a delay. */
  readonly nativeRetrial = false;

  readonly #db: Kysely<FedifyDatabase>;
  readonly #queue: string;
  readonly #concurrency: number;
  readonly #perKey: PerKeyLimitOptions | undefined;
  readonly #leaseMs: number;
  readonly #pollIntervalMs: number;
  readonly #retryDelayMs: number;
  readonly #maxRetryDelayMs: number;
  readonly #listen: pg.ClientConfig | undefined;
  readonly #takeover: "lock" | "single-process" | "lease";
  readonly #logger: Logger;
  readonly #origin = crypto.randomUUID();
  /** Pending single enqueues of the current tick, by delay in ms. */
  readonly #pending = new Map<number, PendingBatch>();

  constructor(db: KyselyWithFedifyTables, options: KyselyMessageQueueOptions = {}) {
    this.#db = fedifyTables(db);
    this.#queue = options.queue ?? "default";
    this.#concurrency = Math.max(1, Math.floor(options.concurrency ?? 8));
    this.#perKey = options.perKey;
    this.#leaseMs = options.leaseMs ?? 60_000;
    this.#pollIntervalMs = options.pollIntervalMs ?? 1_000;
    this.#retryDelayMs = options.retryDelayMs ?? 1_000;
    this.#maxRetryDelayMs = options.maxRetryDelayMs ?? 300_000;
    this.#listen = options.listen;
    this.#takeover = options.takeover ?? (options.listen ? "lock" : "lease");
    this.#logger = options.logger ?? silentLogger;
  }

  /**
   * Calls made in the same tick are inserted by one statement, in call order. Fedify sends a
   * fan-out with an ordering key as one `enqueue()` per inbox, all at once: a thousand inboxes
   * become one INSERT instead of a thousand.
   */
  enqueue(message: unknown, options?: MessageQueueEnqueueOptions): Promise<void> {
    const delayMs = delayOf(options);
    let batch = this.#pending.get(delayMs);
    if (batch === undefined) {
      const rows: Row[] = [];
      const done = new Promise<void>((resolve, reject) => {
        queueMicrotask(() => {
          this.#pending.delete(delayMs);
          this.#insert(rows, delayMs).then(resolve, reject);
        });
      });
      batch = { rows, done };
      this.#pending.set(delayMs, batch);
    }
    batch.rows.push({ payload: message, orderingKey: options?.orderingKey ?? null });
    return batch.done;
  }

  /** All messages share `options.orderingKey`; they are inserted (and handled) in array order. */
  async enqueueMany(
    messages: readonly unknown[],
    options?: MessageQueueEnqueueOptions,
  ): Promise<void> {
    const orderingKey = options?.orderingKey ?? null;
    await this.#insert(
      messages.map((payload) => ({ payload, orderingKey })),
      delayOf(options),
    );
  }

  /**
   * One statement per batch (one JSON array parameter, so no parameter limit), which also
   * NOTIFYs other processes. Rows get ids in array order, which is the order messages that
   * share an ordering key are handled in; chunks of a large batch go in one after another.
   * Parts every message of the chunk shares are stored once (see `splitShared`).
   */
  async #insert(rows: readonly Row[], delayMs: number): Promise<void> {
    for (let start = 0; start < rows.length; start += MAX_ROWS_PER_INSERT) {
      const chunk = rows.slice(start, start + MAX_ROWS_PER_INSERT);
      const { shared, payloads } = splitShared(chunk.map((row) => row.payload));
      const announcement: Announcement = {
        q: this.#queue,
        n: chunk.length,
        d: delayMs,
        o: this.#origin,
      };
      const messages = JSON.stringify(
        chunk.map((row, i) => ({ p: payloads[i], k: row.orderingKey })),
      );
      await sql`
        with share as (
          insert into fedify_message_shares (value)
          select v from (select ${shared === undefined ? null : JSON.stringify(shared)}::jsonb as v) s
          where v is not null
          returning id
        ),
        inserted as (
          insert into fedify_messages (queue, payload, ordering_key, available_at, share_id)
          select ${this.#queue}, m.value -> 'p', m.value ->> 'k',
                 now() + ${delayMs}::double precision * interval '1 millisecond',
                 (select id from share)
          from jsonb_array_elements(${messages}::jsonb) with ordinality as m (value, n)
          order by m.n
          returning 1
        )
        select pg_notify(${FEDIFY_MESSAGES_CHANNEL}, ${JSON.stringify(announcement)}) as notified,
               (select count(*) from inserted) as inserted
      `.execute(this.#db);
      wakeLocal(this.#db, announcement);
    }
  }

  /**
   * Wakes this process's listeners of this queue now. For messages inserted by a queue bound
   * to a transaction (`new KyselyMessageQueue(trx)`), once that transaction has committed:
   * other processes hear of them by NOTIFY, this one's listeners (PGlite has no other) here.
   */
  wake(): void {
    wakeLocal(this.#db, { q: this.#queue, n: 1, d: 0, o: this.#origin });
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
   * Handles messages until `signal` aborts, then lets in-flight handlers finish (without
   * claiming more) and resolves. Never rejects: database errors are logged and retried.
   */
  async listen(
    handler: (message: unknown) => Promise<void> | void,
    options: MessageQueueListenOptions = {},
  ): Promise<void> {
    const { signal } = options;
    if (signal?.aborted) return;
    const id = `${this.#origin.slice(0, 8)}:${crypto.randomUUID().slice(0, 8)}`;
    const lockKey = LOCKED_OWNER_PREFIX + id;
    let consumer: QueueConsumer | undefined;
    // Announcements missed while the connection was down: the consumer looks for itself.
    const notifications = this.#listen
      ? listenOnChannel({
          connection: this.#listen,
          channel: FEDIFY_MESSAGES_CHANNEL,
          name: "fedify queue",
          logger: this.#logger,
          onNotification: (payload) => {
            let announcement: Announcement;
            try {
              announcement = JSON.parse(payload) as Announcement;
            } catch {
              this.#logger.warn("fedify queue: ignored a malformed notification", { payload });
              return;
            }
            if (announcement.q !== this.#queue || announcement.o === this.#origin) return;
            after(announcement.d, () => consumer?.wake());
          },
          onReconnect: () => consumer?.wake(),
          ...(this.#takeover === "lock"
            ? { onConnected: (client: pg.Client) => takeConsumerLock(client, lockKey) }
            : {}),
        })
      : undefined;
    // Only a consumer that holds its lock says so in its leases; the others' leases run out.
    const locked = this.#takeover === "lock" && (await notifications?.firstAttempt) === true;
    if (this.#takeover === "lock" && !locked) {
      this.#logger.warn(
        "fedify queue: no lock connection yet; this consumer's work is taken over only after its lease",
      );
    }
    const started = this.#consumer(handler, locked ? lockKey : id, {
      onReleased: (delayMs) =>
        wakeLocal(this.#db, { q: this.#queue, n: 1, d: delayMs, o: this.#origin }),
    });
    consumer = started;
    const unregister = registerConsumer(this.#db, this.#queue, started);
    const takeOver = () =>
      this.#takeOver().then(
        (n) => n > 0 && started.wake(),
        (error: unknown) => warnDatabaseError(this.#logger, "fedify queue: takeover failed", error),
      );
    if (this.#takeover !== "lease") await takeOver();
    const stopTakingOver =
      this.#takeover === "lock" ? every(TAKEOVER_INTERVAL_MS, () => void takeOver()) : () => {};
    // Delayed messages and expired leases announce themselves to nobody: look now and then.
    const stopPolling = every(this.#pollIntervalMs, () => started.wake());
    const stop = () => started.close();
    signal?.addEventListener("abort", stop, { once: true });
    if (signal?.aborted) stop();
    try {
      await started.run();
    } finally {
      signal?.removeEventListener("abort", stop);
      stopTakingOver();
      stopPolling();
      unregister();
      await notifications?.close();
    }
  }

  /**
   * Handles the messages due now, and those their handlers queue, then resolves: for a runtime
   * where nothing listens (a Worker's invocation). Failed messages are put back with their
   * backoff and left for a later drain; a drain cut short leaves its leases to run out.
   */
  async drain(handler: (message: unknown) => Promise<void> | void): Promise<void> {
    const id = `${this.#origin.slice(0, 8)}:${crypto.randomUUID().slice(0, 8)}`;
    await this.#consumer(handler, id, { onReleased: () => {}, untilIdle: true }).run();
  }

  /** A consumer of this queue with this queue's settings, its leases named `id`. */
  #consumer(
    handler: (message: unknown) => Promise<void> | void,
    id: string,
    options: Pick<QueueConsumerOptions, "onReleased" | "untilIdle">,
  ): QueueConsumer {
    return new QueueConsumer(this.#db, handler, {
      queue: this.#queue,
      consumer: id,
      concurrency: this.#concurrency,
      perKey: this.#perKey,
      leaseMs: this.#leaseMs,
      retryDelayMs: this.#retryDelayMs,
      maxRetryDelayMs: this.#maxRetryDelayMs,
      errorDelayMs: this.#pollIntervalMs,
      logger: this.#logger,
      ...options,
    });
  }

  /**
   * Releases the leases of consumers that are gone, so their messages are handled again now
   * rather than when the lease runs out; returns how many. Never a live consumer's: in lock
   * mode an owner is gone when its advisory lock is (PostgreSQL drops it with the dead
   * process's connection); in single-process mode every owner but this process's live
   * consumers is gone. An owner that held no lock is left to its lease.
   */
  async #takeOver(): Promise<number> {
    const live = [...(localConsumers.get(this.#db)?.values() ?? [])].flatMap((consumers) =>
      [...consumers].map((consumer) => consumer.id),
    );
    const gone =
      this.#takeover === "lock"
        ? sql`m.locked_by like ${`${LOCKED_OWNER_PREFIX}%`} and not exists (
            select 1 from pg_locks l
            where l.locktype = 'advisory' and l.classid = ${CONSUMER_LOCK_CLASS}::int::oid
              and l.objid = hashtext(m.locked_by)::oid and l.objsubid = 2)`
        : sql`true`;
    const { rows } = await sql<{ id: string }>`
      update fedify_messages m
      set locked_by = null, locked_until = null, available_at = now()
      where m.queue = ${this.#queue} and m.locked_until > now()
        and not (m.locked_by = any (${live}::text[])) and ${gone}
      returning m.id
    `.execute(this.#db);
    if (rows.length > 0) {
      this.#logger.info("fedify queue: took over the work of a consumer that is gone", {
        messages: rows.length,
      });
    }
    return rows.length;
  }
}

/**
 * Splits off the top-level properties that every payload of a batch holds as the very same
 * value: a fan-out's messages all point at one activity and one key list (identity is a cheap
 * and exact test for objects), and repeat the same activity id, type and base URL. Those go into
 * one shared part; each payload keeps the rest (its id, inbox and recipients), and the consumer
 * merges the two back (src/fedify-kysely/queue-consumer.ts).
 */
export function splitShared(payloads: readonly unknown[]): {
  shared: Record<string, unknown> | undefined;
  payloads: readonly unknown[];
} {
  const first = payloads[0];
  if (payloads.length < 2 || !isPlainObject(first)) return { shared: undefined, payloads };
  const sharedKeys = Object.keys(first).filter((key) => {
    const value = first[key];
    return (
      value !== undefined &&
      payloads.every((payload) => isPlainObject(payload) && payload[key] === value)
    );
  });
  if (sharedKeys.length === 0) return { shared: undefined, payloads };
  const shared = Object.fromEntries(sharedKeys.map((key) => [key, first[key]]));
  return {
    shared,
    payloads: payloads.map((payload) => {
      const own = { ...(payload as Record<string, unknown>) };
      for (const key of sharedKeys) delete own[key];
      return own;
    }),
  };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The session lock that says `key`'s consumer is alive; it ends with the connection. */
async function takeConsumerLock(client: pg.Client, key: string): Promise<void> {
  const { rows } = await client.query<{ locked: boolean }>(
    "select pg_try_advisory_lock($1, hashtext($2)) as locked",
    [CONSUMER_LOCK_CLASS, key],
  );
  if (!rows[0]?.locked) throw new Error(`the consumer lock for ${key} is held by another session`);
}

function delayOf(options: MessageQueueEnqueueOptions | undefined): number {
  const delay = options?.delay as Temporal.Duration | undefined;
  return delay == null ? 0 : Math.max(0, delay.total("millisecond"));
}

/**
 * This process's listening consumers, per database and queue, so an enqueue wakes local listeners
 * at once (PGlite has no other process to hear from, and this skips the NOTIFY round trip).
 */
const localConsumers = new WeakMap<Kysely<FedifyDatabase>, Map<string, Set<QueueConsumer>>>();

function registerConsumer(
  db: Kysely<FedifyDatabase>,
  queue: string,
  consumer: QueueConsumer,
): () => void {
  const queues = localConsumers.get(db) ?? new Map<string, Set<QueueConsumer>>();
  localConsumers.set(db, queues);
  const consumers = queues.get(queue) ?? new Set<QueueConsumer>();
  queues.set(queue, consumers);
  consumers.add(consumer);
  return () => consumers.delete(consumer);
}

function wakeLocal(db: Kysely<FedifyDatabase>, announcement: Announcement): void {
  const consumers = localConsumers.get(db)?.get(announcement.q);
  if (!consumers || consumers.size === 0) return;
  after(announcement.d, () => {
    for (const consumer of consumers) consumer.wake();
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
