import { Temporal } from "@js-temporal/polyfill";
import { type KyselyPlugin, sql } from "kysely";
import pg from "pg";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import {
  KyselyMessageQueue,
  type KyselyMessageQueueOptions,
} from "../../../src/fedify-kysely/message-queue.ts";
import { createDatabase, type Db } from "../../../src/storage/database.ts";
import { createTestDatabase, DATABASE_KINDS, type TestDatabase } from "../../support/databases.ts";
import { deferred } from "../../support/deferred.ts";

type Handler = (message: unknown) => Promise<void> | void;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Counts the statements a queue sends through its Kysely instance, by what they do. */
function countingStatements() {
  const texts: string[] = [];
  const answered: string[] = [];
  const pending = new Map<unknown, string>();
  const plugin: KyselyPlugin = {
    // The queue's statements are raw `sql` templates: their fragments say what they do.
    transformQuery({ node, queryId }) {
      if (node.kind === "RawNode") {
        const text = node.sqlFragments.join(" ");
        texts.push(text);
        pending.set(queryId, text);
      }
      return node;
    },
    async transformResult({ result, queryId }) {
      const text = pending.get(queryId);
      if (text !== undefined) {
        pending.delete(queryId);
        answered.push(text);
      }
      return result;
    },
  };
  const counting = (list: string[], needle: string) =>
    list.filter((text) => text.includes(needle)).length;
  return {
    plugin,
    inserts: () => counting(texts, "insert into fedify_messages"),
    claims: () => counting(texts, "fedify_claim_messages"),
    /** Claims whose answer has come back. */
    claimsAnswered: () => counting(answered, "fedify_claim_messages"),
    /** Lease renewals sent (the consumer's timer fires only while `run()` has not returned). */
    renewals: () => counting(texts, "set locked_until = now() +"),
  };
}

const WAIT = { timeout: 10_000, interval: 10 };

describe.each(DATABASE_KINDS)("KyselyMessageQueue on %s", (kind) => {
  // Several processes share a queue only on PostgreSQL (PGlite belongs to one process), so
  // those tests exist for PostgreSQL alone instead of showing up as skipped on PGlite.
  const postgresOnly: typeof it = kind === "postgres" ? it : ((() => {}) as unknown as typeof it);
  let database: TestDatabase;
  let queueCount = 0;
  const listeners: { controller: AbortController; done: Promise<void> }[] = [];
  const extraDbs: Db[] = [];

  beforeAll(async () => {
    database = await createTestDatabase(kind);
  });
  afterEach(async () => {
    for (const { controller, done } of listeners.splice(0)) {
      controller.abort();
      await done;
    }
    for (const db of extraDbs.splice(0)) await db.destroy();
  });
  afterAll(async () => {
    await database?.destroy();
  });

  /** A queue with its own name, so tests never see each other's messages. */
  function newQueue(options: KyselyMessageQueueOptions = {}, db: Db = database.db) {
    queueCount++;
    return new KyselyMessageQueue(db, { queue: `test-${queueCount}`, ...options });
  }

  function listen(queue: KyselyMessageQueue, handler: Handler) {
    const controller = new AbortController();
    const done = queue.listen(handler, { signal: controller.signal });
    listeners.push({ controller, done });
    return { controller, done };
  }

  const remaining = async (queue: string) => {
    const { rows } = await sql<{ count: number }>`
      select count(*)::int as count from fedify_messages where queue = ${queue}`.execute(
      database.db,
    );
    return rows[0]?.count ?? -1;
  };

  it("hands the handler exactly the enqueued message, then deletes it", async () => {
    const queue = newQueue();
    const message = {
      type: "outbox",
      id: "4a1c",
      shared_inbox: "https://example.com/inbox",
      __fedify_ordering_key__: "kept",
      activity: { "@context": "https://www.w3.org/ns/activitystreams", to: ["a", "b"] },
      attempt: 0,
      nothing: null,
    };
    const received: unknown[] = [];
    listen(queue, (m) => {
      received.push(m);
    });
    await queue.enqueue(message);
    await vi.waitFor(() => expect(received).toHaveLength(1), WAIT);
    expect(received[0]).toStrictEqual(message);
    await vi.waitFor(async () => expect(await remaining(`test-${queueCount}`)).toBe(0), WAIT);
  });

  it("does not hand out a delayed message before its time", async () => {
    const queue = newQueue();
    let handledAt: number | undefined;
    listen(queue, () => {
      handledAt = Date.now();
    });
    const enqueuedAt = Date.now();
    await queue.enqueue({ n: 1 }, { delay: Temporal.Duration.from({ milliseconds: 300 }) });
    await vi.waitFor(() => expect(handledAt).toBeDefined(), WAIT);
    const elapsed = (handledAt ?? 0) - enqueuedAt;
    expect(elapsed).toBeGreaterThanOrEqual(280);
    expect(elapsed).toBeLessThan(3_000);
  });

  it("drains: handles what is due and what its handlers queue, leaves what is due later, resolves", async () => {
    const queue = newQueue({ concurrency: 4 });
    const name = `test-${queueCount}`;
    await queue.enqueueMany([{ n: 1 }, { n: 2 }, { n: 3 }]);
    await queue.enqueue({ n: 99 }, { delay: Temporal.Duration.from({ seconds: 60 }) });
    const handled: number[] = [];
    await queue.drain(async (message) => {
      const { n } = message as { n: number };
      handled.push(n);
      // Work a handler queues is part of the same drain.
      if (n < 10) await queue.enqueue({ n: n * 10 });
    });
    expect(handled.sort((a, b) => a - b)).toEqual([1, 2, 3, 10, 20, 30]);
    // Everything handled was acknowledged; only the delayed message is left.
    expect(await remaining(name)).toBe(1);
    // With nothing due, a drain ends at once.
    await queue.drain(() => {
      throw new Error("nothing is due");
    });
    expect(await remaining(name)).toBe(1);
  });

  it("enqueues many messages in one call", async () => {
    const queue = newQueue({ concurrency: 4 });
    const received = new Set<number>();
    listen(queue, (m) => {
      received.add((m as { n: number }).n);
    });
    await queue.enqueueMany(Array.from({ length: 300 }, (_, n) => ({ n })));
    await queue.enqueueMany([]);
    await vi.waitFor(() => expect(received.size).toBe(300), WAIT);
    expect([...received].sort((a, b) => a - b)).toEqual(Array.from({ length: 300 }, (_, n) => n));
  });

  it("inserts enqueue() calls of one tick with one statement, in call order, keys per row", async () => {
    const statements = countingStatements();
    const queue = newQueue({}, database.db.withPlugin(statements.plugin));
    const name = `test-${queueCount}`;
    // What Fedify does for a fan-out with an ordering key: one enqueue() per inbox, all at once.
    await Promise.all(
      Array.from({ length: 250 }, (_, n) =>
        queue.enqueue({ n }, { orderingKey: `object\nhttps://host-${n % 50}.example` }),
      ),
    );
    expect(statements.inserts()).toBe(1);
    const { rows } = await sql<{ n: number; orderingKey: string }>`
      select (payload ->> 'n')::int as n, ordering_key from fedify_messages
      where queue = ${name} order by id`.execute(database.db);
    expect(rows.map((row) => row.n)).toEqual(Array.from({ length: 250 }, (_, n) => n));
    expect(rows.map((row) => row.orderingKey)).toEqual(
      Array.from({ length: 250 }, (_, n) => `object\nhttps://host-${n % 50}.example`),
    );
  });

  it("stores what a batch's messages share once, and hands each message back whole", async () => {
    const queue = newQueue({ concurrency: 8 });
    const name = `test-${queueCount}`;
    // Like Fedify's fan-out: every message points at the same activity and keys.
    const activity = { type: "Create", content: "x".repeat(5_000), to: ["a", "b"] };
    const keys = [{ keyId: "https://news.example/ap/feeds/world#main-key", privateKey: { k: 1 } }];
    const messages = Array.from({ length: 120 }, (_, n) => ({
      type: "outbox",
      id: `m-${n}`,
      inbox: `https://host-${n}.example/inbox`,
      actorIds: [`https://host-${n}.example/users/a`],
      activity,
      keys,
      headers: {},
    }));
    await Promise.all(messages.map((m, n) => queue.enqueue(m, { orderingKey: `o\n${n}` })));
    const shares = await sql<{ count: number }>`
      select count(*)::int as count from fedify_message_shares s
      where exists (select 1 from fedify_messages m where m.share_id = s.id and m.queue = ${name})
    `.execute(database.db);
    expect(shares.rows[0]?.count).toBe(1);
    const own = await sql<{ withoutShared: number }>`
      select count(*)::int as without_shared from fedify_messages
      where queue = ${name} and share_id is not null
        and not payload ? 'activity' and not payload ? 'keys' and not payload ? 'type'
        and payload ? 'headers' and payload ? 'inbox'
    `.execute(database.db);
    // The same activity, keys and type are stored once; `headers` is a different (empty) object
    // per message, and `inbox` differs: they stay with each message.
    expect(own.rows[0]?.withoutShared).toBe(120);

    const received: unknown[] = [];
    listen(queue, (m) => {
      received.push(m);
    });
    await vi.waitFor(() => expect(received).toHaveLength(120), WAIT);
    const byId = (m: unknown) => (m as { id: string }).id;
    expect([...received].sort((a, b) => byId(a).localeCompare(byId(b)))).toStrictEqual(
      [...messages].sort((a, b) => a.id.localeCompare(b.id)),
    );
    // The last acknowledgement took the shared part with it.
    await vi.waitFor(async () => {
      expect(await remaining(name)).toBe(0);
      const left = await sql<{ count: number }>`
        select count(*)::int as count from fedify_message_shares s
        where not exists (select 1 from fedify_messages m where m.share_id = s.id)`.execute(
        database.db,
      );
      expect(left.rows[0]?.count).toBe(0);
    }, WAIT);
  });

  it("claims and acknowledges in batches while busy, not one round trip per message", async () => {
    const statements = countingStatements();
    const queue = newQueue({ concurrency: 16 }, database.db.withPlugin(statements.plugin));
    await queue.enqueueMany(Array.from({ length: 400 }, (_, n) => ({ n })));
    const handled = new Set<number>();
    listen(queue, async (m) => {
      await sleep(1 + Math.random() * 4);
      handled.add((m as { n: number }).n);
    });
    await vi.waitFor(() => expect(handled.size).toBe(400), WAIT);
    await vi.waitFor(async () => expect(await remaining(`test-${queueCount}`)).toBe(0), WAIT);
    // A claim waits for a quarter of the 16 slots to be free: about 400 / 4 claims, plus the
    // empty ones of a listener that catches up with the queue.
    // One round trip per message would be 400 or more.
    expect(statements.claims()).toBeLessThanOrEqual(150);
    expect(statements.claims()).toBeGreaterThan(0);
  });

  it("hands a message back after its handler threw, and delivers it again", async () => {
    const queue = newQueue({ retryDelayMs: 50 });
    const attempts: unknown[] = [];
    listen(queue, (m) => {
      attempts.push(m);
      if (attempts.length === 1) throw new Error("remote inbox is down");
    });
    await queue.enqueue({ inbox: "https://example.com/inbox" });
    await vi.waitFor(() => expect(attempts).toHaveLength(2), WAIT);
    expect(attempts[1]).toStrictEqual({ inbox: "https://example.com/inbox" });
    await vi.waitFor(async () => expect(await remaining(`test-${queueCount}`)).toBe(0), WAIT);
    expect(attempts).toHaveLength(2);
  });

  it("on abort, stops claiming but finishes the handler in flight", async () => {
    const statements = countingStatements();
    // Leases renewed every 50 ms: the consumer's sign of life while the handler runs.
    const queue = newQueue(
      { pollIntervalMs: 50, leaseMs: 150 },
      database.db.withPlugin(statements.plugin),
    );
    const name = `test-${queueCount}`;
    const release = deferred();
    const started: unknown[] = [];
    const { controller, done } = listen(queue, async (m) => {
      started.push(m);
      await release.promise;
    });
    let finished = false;
    void done.then(() => {
      finished = true;
    });
    await queue.enqueue({ n: 1 });
    await vi.waitFor(() => expect(started).toHaveLength(1), WAIT);

    controller.abort();
    await queue.enqueue({ n: 2 });
    // Two lease renewals after the abort: the consumer is still waiting on its handler (the
    // renewal timer stops only when it returns), and polls have come and gone unclaimed.
    const renewalsAtAbort = statements.renewals();
    const claimsAtAbort = statements.claims();
    await vi.waitFor(
      () => expect(statements.renewals()).toBeGreaterThan(renewalsAtAbort + 1),
      WAIT,
    );
    expect(finished).toBe(false);
    expect(statements.claims()).toBe(claimsAtAbort);

    release.resolve();
    await done;
    expect(started).toEqual([{ n: 1 }]);
    // The first one was acknowledged; the second stays queued for the next consumer.
    const { rows } = await sql<{ payload: string }>`
      select payload::text as payload from fedify_messages where queue = ${name}`.execute(
      database.db,
    );
    expect(rows.map((row) => JSON.parse(row.payload))).toEqual([{ n: 2 }]);
  });

  it("leases a batch ahead of its free slots, runs no more than `concurrency`, and hands the batch back on abort", async () => {
    const queue = newQueue({ concurrency: 4 });
    const name = `test-${queueCount}`;
    const release = deferred();
    let running = 0;
    let mostAtOnce = 0;
    const { controller, done } = listen(queue, async () => {
      running++;
      mostAtOnce = Math.max(mostAtOnce, running);
      await release.promise;
      running--;
    });
    await queue.enqueueMany(Array.from({ length: 10 }, (_, n) => ({ n })));
    const leased = async () =>
      (
        await sql<{ attempts: number }>`
          select attempts from fedify_messages where queue = ${name} and locked_by is not null`.execute(
          database.db,
        )
      ).rows.length;
    await vi.waitFor(() => expect(running).toBe(4), WAIT);
    // Four running, and a quarter of the concurrency (one) leased ahead to refill a slot at once.
    await vi.waitFor(async () => expect(await leased()).toBe(5), WAIT);
    controller.abort();
    await vi.waitFor(async () => expect(await leased()).toBe(4), WAIT);
    release.resolve();
    await done;
    expect(mostAtOnce).toBe(4);
    // The four handled are gone; the one leased ahead is back as if never claimed.
    const { rows } = await sql<{ attempts: number; lockedBy: string | null }>`
      select attempts, locked_by from fedify_messages where queue = ${name}`.execute(database.db);
    expect(rows).toHaveLength(6);
    expect(rows.every((row) => row.attempts === 0 && row.lockedBy === null)).toBe(true);
  });

  it("resolves at once when listening with an already aborted signal", async () => {
    const queue = newQueue();
    await expect(queue.listen(() => {}, { signal: AbortSignal.abort() })).resolves.toBeUndefined();
  });

  it("delivers again a message whose consumer died holding it, once the lease expires", async () => {
    const queue = newQueue({ pollIntervalMs: 50 });
    const name = `test-${queueCount}`;
    await queue.enqueue({ job: "crashed" });
    // A consumer claims it the way the queue does, then "is killed": no delete, no renewal.
    const claimed = await sql<{ id: string }>`
      update fedify_messages
      set locked_by = 'dead-worker', attempts = attempts + 1,
          locked_until = now() + interval '400 milliseconds',
          available_at = now() + interval '400 milliseconds'
      where queue = ${name}
      returning id::text as id`.execute(database.db);
    expect(claimed.rows).toHaveLength(1);

    const claimedAt = Date.now();
    const received: { at: number; message: unknown }[] = [];
    listen(queue, (message) => {
      received.push({ at: Date.now(), message });
    });
    await vi.waitFor(() => expect(received).toHaveLength(1), WAIT);
    expect(received[0]?.message).toStrictEqual({ job: "crashed" });
    expect((received[0]?.at ?? 0) - claimedAt).toBeGreaterThanOrEqual(300);
    await vi.waitFor(async () => expect(await remaining(name)).toBe(0), WAIT);
  });

  it("renews the lease while a slow handler runs, so nobody else takes the message", async () => {
    const options = { leaseMs: 150, pollIntervalMs: 20 };
    const firstStatements = countingStatements();
    const secondStatements = countingStatements();
    const first = newQueue(options, database.db.withPlugin(firstStatements.plugin));
    const second = new KyselyMessageQueue(database.db.withPlugin(secondStatements.plugin), {
      ...options,
      queue: `test-${queueCount}`,
    });
    const handled: string[] = [];
    const release = deferred();
    const slow = (who: string) => async () => {
      handled.push(who);
      await release.promise;
    };
    listen(first, slow("first"));
    await first.enqueue({ slow: true });
    await vi.waitFor(() => expect(handled).toHaveLength(1), WAIT);
    listen(second, slow("second"));
    // The handler runs until the first consumer has renewed its lease four times (every 50 ms:
    // past the 150 ms the first lease gave) and the second has looked for work three times
    // since, each answered, finding nothing.
    const renewed = firstStatements.renewals();
    await vi.waitFor(() => {
      expect(firstStatements.renewals()).toBeGreaterThanOrEqual(renewed + 4);
      expect(secondStatements.claimsAnswered()).toBeGreaterThanOrEqual(3);
    }, WAIT);
    const seenBySecond = secondStatements.claims();
    await vi.waitFor(
      () => expect(secondStatements.claimsAnswered()).toBeGreaterThanOrEqual(seenBySecond),
      WAIT,
    );
    expect(handled).toEqual(["first"]);
    release.resolve();
    await vi.waitFor(async () => expect(await remaining(`test-${queueCount}`)).toBe(0), WAIT);
    expect(handled).toEqual(["first"]);
  });

  it("handles messages sharing an ordering key one at a time, in enqueue order", async () => {
    const queue = newQueue({ concurrency: 8 });
    const log: { key: string; n: number }[] = [];
    const active = new Map<string, number>();
    let overlap = false;
    listen(queue, async (m) => {
      const { key, n } = m as { key: string; n: number };
      active.set(key, (active.get(key) ?? 0) + 1);
      if ((active.get(key) ?? 0) > 1) overlap = true;
      log.push({ key, n });
      await sleep(Math.random() * 5);
      active.set(key, (active.get(key) ?? 0) - 1);
    });
    for (let n = 0; n < 15; n++) {
      await queue.enqueue({ key: "a", n }, { orderingKey: "a" });
      await queue.enqueue({ key: "b", n }, { orderingKey: "b" });
    }
    await queue.enqueueMany(
      Array.from({ length: 15 }, (_, i) => ({ key: "c", n: i })),
      { orderingKey: "c" },
    );
    await vi.waitFor(() => expect(log).toHaveLength(45), WAIT);
    expect(overlap).toBe(false);
    for (const key of ["a", "b", "c"]) {
      const order = log.filter((entry) => entry.key === key).map((entry) => entry.n);
      expect(order).toEqual(Array.from({ length: 15 }, (_, n) => n));
    }
  });

  it("keeps a failed message ahead of the later ones with its ordering key", async () => {
    const queue = newQueue({ retryDelayMs: 50 });
    const log: number[] = [];
    listen(queue, (m) => {
      const { n } = m as { n: number };
      log.push(n);
      if (n === 0 && log.filter((x) => x === 0).length === 1) throw new Error("first try fails");
    });
    await queue.enqueueMany([{ n: 0 }, { n: 1 }, { n: 2 }], { orderingKey: "k" });
    await vi.waitFor(() => expect(log).toHaveLength(4), WAIT);
    expect(log).toEqual([0, 0, 1, 2]);
  });

  it("runs messages without an ordering key in parallel", async () => {
    const queue = newQueue({ concurrency: 4 });
    const allStarted = deferred();
    let started = 0;
    let finished = 0;
    listen(queue, async () => {
      started++;
      if (started === 4) allStarted.resolve();
      // Every handler waits for all four to start: only possible if they run at once.
      await allStarted.promise;
      finished++;
    });
    await queue.enqueueMany([1, 2, 3, 4]);
    await vi.waitFor(() => expect(finished).toBe(4), WAIT);
    expect(started).toBe(4);
  });

  it("runs at most `perKey.limit` handlers per key, and other keys' messages meanwhile", async () => {
    const queue = newQueue({
      concurrency: 8,
      perKey: { limit: 2, keyOf: (payload) => (payload as { host?: string }).host },
    });
    const release = deferred();
    const running = new Map<string, number>();
    const mostAtOnce = new Map<string, number>();
    const started: string[] = [];
    const finished: string[] = [];
    listen(queue, async (payload) => {
      const { host = "(none)", n } = payload as { host?: string; n: number };
      started.push(`${host}#${n}`);
      running.set(host, (running.get(host) ?? 0) + 1);
      mostAtOnce.set(host, Math.max(mostAtOnce.get(host) ?? 0, running.get(host) ?? 0));
      await release.promise;
      running.set(host, (running.get(host) ?? 0) - 1);
      finished.push(`${host}#${n}`);
    });
    // Twenty messages for one busy host first, then three for another and three with no key:
    // the later ones must not wait behind the busy host's queue.
    await queue.enqueueMany([
      ...Array.from({ length: 20 }, (_, n) => ({ host: "busy.example", n })),
      ...Array.from({ length: 3 }, (_, n) => ({ host: "other.example", n })),
      ...Array.from({ length: 3 }, (_, n) => ({ n })),
    ]);
    await vi.waitFor(() => expect(started).toHaveLength(2 + 2 + 3), WAIT);
    expect(started.filter((s) => s.startsWith("busy.example"))).toEqual([
      "busy.example#0",
      "busy.example#1",
    ]);
    expect(started.filter((s) => s.startsWith("other.example"))).toEqual([
      "other.example#0",
      "other.example#1",
    ]);
    expect(started.filter((s) => s.startsWith("(none)"))).toHaveLength(3);
    release.resolve();
    await vi.waitFor(() => expect(finished).toHaveLength(26), WAIT);
    expect(mostAtOnce.get("busy.example")).toBe(2);
    expect(mostAtOnce.get("other.example")).toBe(2);
    // Each key's messages still start oldest first.
    const busyOrder = started.filter((s) => s.startsWith("busy.example"));
    expect(busyOrder).toEqual(Array.from({ length: 20 }, (_, n) => `busy.example#${n}`));
    expect(await remaining(`test-${queueCount}`)).toBe(0);
  });

  it("reports its depth", async () => {
    const queue = newQueue();
    await queue.enqueueMany([1, 2]);
    await queue.enqueue(3, { delay: Temporal.Duration.from({ hours: 1 }) });
    expect(await queue.getDepth()).toEqual({ queued: 3, ready: 2, delayed: 1 });
  });

  postgresOnly("wakes an idle listener in another process through NOTIFY", async () => {
    const url = database.url ?? "";
    const consumerDb = createDatabase({ databaseUrl: url, poolSize: 2 });
    extraDbs.push(consumerDb);
    const producer = newQueue();
    // Polls only once a minute: a prompt delivery must come from the notification.
    const statements = countingStatements();
    const consumer = new KyselyMessageQueue(consumerDb.withPlugin(statements.plugin), {
      queue: `test-${queueCount}`,
      listen: { connectionString: url },
      pollIntervalMs: 60_000,
    });
    const received: { at: number; message: unknown }[] = [];
    listen(consumer, (message) => {
      received.push({ at: Date.now(), message });
    });
    // The LISTEN connection comes up in the background; it ends by taking the consumer lock.
    await vi.waitFor(async () => {
      const { rows } = await sql<{ count: number }>`
          select count(*)::int as count from pg_locks
          where locktype = 'advisory' and classid = ${0x7469}::int::oid and granted`.execute(
        database.db,
      );
      expect(rows[0]?.count).toBe(1);
    }, WAIT);
    // The listener's first claims have come back (empty): it is idle now, until told.
    await vi.waitFor(() => {
      expect(statements.claimsAnswered()).toBeGreaterThan(0);
      expect(statements.claimsAnswered()).toBe(statements.claims());
    }, WAIT);
    await producer.enqueue({ ping: true });
    await vi.waitFor(() => expect(received).toHaveLength(1), { timeout: 3_000, interval: 10 });
    const isDelayed = (r: { message: unknown }) => (r.message as { delayed?: boolean }).delayed;
    const sentAt = Date.now();
    await producer.enqueue(
      { delayed: true },
      { delay: Temporal.Duration.from({ milliseconds: 300 }) },
    );
    await vi.waitFor(() => expect(received.some(isDelayed)).toBe(true), WAIT);
    const delayed = received.find(isDelayed);
    expect(delayed).toBeDefined();
    expect((delayed?.at ?? 0) - sentAt).toBeGreaterThanOrEqual(280);
    expect((delayed?.at ?? 0) - sentAt).toBeLessThan(5_000);
  });

  postgresOnly("never gives one message to two consumers in different processes", async () => {
    const url = database.url ?? "";
    const dbs = [createDatabase({ databaseUrl: url }), createDatabase({ databaseUrl: url })];
    extraDbs.push(...dbs);
    const name = `test-${++queueCount}`;
    const consumers = dbs.map(
      (db) =>
        new KyselyMessageQueue(db, {
          queue: name,
          concurrency: 8,
          listen: { connectionString: url },
          pollIntervalMs: 100,
        }),
    );
    const handledBy = new Map<number, string[]>();
    consumers.forEach((consumer, i) => {
      listen(consumer, async (m) => {
        const { n } = m as { n: number };
        handledBy.set(n, [...(handledBy.get(n) ?? []), `consumer-${i}`]);
        await sleep(Math.random() * 3);
      });
    });
    const producer = new KyselyMessageQueue(database.db, { queue: name });
    for (let start = 0; start < 500; start += 100) {
      await producer.enqueueMany(Array.from({ length: 100 }, (_, i) => ({ n: start + i })));
    }
    await vi.waitFor(() => expect(handledBy.size).toBe(500), { timeout: 20_000, interval: 20 });
    await vi.waitFor(async () => expect(await remaining(name)).toBe(0), WAIT);
    const duplicates = [...handledBy].filter(([, by]) => by.length > 1);
    expect(duplicates).toEqual([]);
    expect([...handledBy.keys()].sort((a, b) => a - b)).toEqual(
      Array.from({ length: 500 }, (_, n) => n),
    );
    const perConsumer = [0, 1].map(
      (i) => [...handledBy.values()].filter((by) => by[0] === `consumer-${i}`).length,
    );
    expect(perConsumer.every((count) => count > 0)).toBe(true);
  });

  /** A message leased to `owner` for an hour, as a consumer that was then killed leaves it. */
  async function leasedMessage(queue: string, job: string, owner: string) {
    const { rows } = await sql<{ id: string }>`
      insert into fedify_messages (queue, payload, locked_by, attempts, locked_until, available_at)
      values (${queue}, ${JSON.stringify({ job })}::jsonb, ${owner}, 1,
              now() + interval '1 hour', now() + interval '1 hour')
      returning id::text as id`.execute(database.db);
    return rows[0]?.id ?? "";
  }

  const lockedBy = async (id: string) => {
    const { rows } = await sql<{ owner: string | null }>`
      select locked_by as owner from fedify_messages where id = ${id}::bigint`.execute(database.db);
    return rows[0]?.owner;
  };

  it("single process (PGlite): at start, takes over leases no live consumer of this process holds", async () => {
    const name = `test-${++queueCount}`;
    const producer = new KyselyMessageQueue(database.db, { queue: name });
    // A live consumer of this process holds one message (its handler waits).
    const release = deferred<void>();
    const holding = deferred<void>();
    const live = new KyselyMessageQueue(database.db, { queue: name, pollIntervalMs: 50 });
    listen(live, async () => {
      holding.resolve();
      await release.promise;
    });
    await producer.enqueue({ job: "held by a live consumer" });
    await holding.promise;
    // What a process killed before this start left behind: a lease good for an hour.
    const orphan = await leasedMessage(name, "left by a dead process", "deadbeef:00000000");
    const { rows } = await sql<{ id: string; owner: string }>`
      select id::text as id, locked_by as owner from fedify_messages
      where queue = ${name} and id <> ${orphan}::bigint`.execute(database.db);
    const held = rows[0];

    const startedAt = Date.now();
    const received: unknown[] = [];
    const restarted = new KyselyMessageQueue(database.db, {
      queue: name,
      takeover: "single-process",
      pollIntervalMs: 50,
    });
    listen(restarted, (message) => {
      received.push(message);
    });
    await vi.waitFor(() => expect(received).toHaveLength(1), WAIT);
    expect(received[0]).toStrictEqual({ job: "left by a dead process" });
    expect(Date.now() - startedAt).toBeLessThan(5_000);
    // The live consumer's message is still its own.
    expect(await lockedBy(held?.id ?? "")).toBe(held?.owner);
    release.resolve();
    await vi.waitFor(async () => expect(await remaining(name)).toBe(0), WAIT);
  });

  postgresOnly(
    "takes over within seconds the work of a consumer whose lock is gone, never a live one's",
    async () => {
      const url = database.url ?? "";
      const name = `test-${++queueCount}`;
      // Another process, alive: it holds its consumer lock on a connection of its own.
      const alive = "l.a11ce000:00000000";
      const aliveProcess = new pg.Client({ connectionString: url });
      aliveProcess.on("error", () => {});
      await aliveProcess.connect();
      await aliveProcess.query("select pg_try_advisory_lock($1, hashtext($2))", [0x7469, alive]);
      const aliveMessage = await leasedMessage(name, "alive", alive);
      // A process that was killed: its lock went with its connection, its lease has an hour left.
      await leasedMessage(name, "dead 1", "l.deadbeef:00000000");

      const received: { at: number; job: string }[] = [];
      const consumer = new KyselyMessageQueue(database.db, {
        queue: name,
        listen: { connectionString: url },
        pollIntervalMs: 50,
      });
      const startedAt = Date.now();
      listen(consumer, (message) => {
        received.push({ at: Date.now(), job: (message as { job: string }).job });
      });
      await vi.waitFor(() => expect(received.map((r) => r.job)).toEqual(["dead 1"]), WAIT);
      expect((received[0]?.at ?? 0) - startedAt).toBeLessThan(5_000);
      // A consumer killed while this one runs: taken over by the periodic look (every 2 s).
      await leasedMessage(name, "dead 2", "l.deadbeef:00000001");
      const killedAt = Date.now();
      await vi.waitFor(() => expect(received.map((r) => r.job)).toContain("dead 2"), WAIT);
      expect((received[1]?.at ?? 0) - killedAt).toBeLessThan(5_000);
      // That look ran after the live process's lease was there, and left it alone.
      expect(await lockedBy(aliveMessage)).toBe(alive);
      expect(received.map((r) => r.job)).not.toContain("alive");
      // The live process dies (its connection, and with it the lock, goes): now it is taken over.
      await aliveProcess.end();
      const diedAt = Date.now();
      await vi.waitFor(() => expect(received.map((r) => r.job)).toContain("alive"), WAIT);
      expect((received[2]?.at ?? 0) - diedAt).toBeLessThan(5_000);
      await vi.waitFor(async () => expect(await remaining(name)).toBe(0), WAIT);
    },
  );
});
