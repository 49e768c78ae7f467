import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KyselyKvStore } from "../../src/fedify-kysely/index.ts";
import { parseFeedDefinitions } from "../../src/schemas/feed-definitions.ts";
import { createDeliveryRecordStore } from "../../src/storage/delivery-record-store.ts";
import { syncFeedDefinitions } from "../../src/storage/feed-sync.ts";
import { createFollowerRepository } from "../../src/storage/follower-repository.ts";
import { createDeliveryRecordView } from "../../src/storage/views/delivery-record.view.ts";
import { insertBareArticle } from "../support/bare-article.ts";
import { createTestDatabase, DATABASE_KINDS, type TestDatabase } from "../support/databases.ts";
import { shippedFeedFiles } from "../support/test-app.ts";

const ARTICLE = "0193a1b2-0000-7000-8000-000000000001";
const at = new Date("2026-11-20T12:00:00Z");
const later = (seconds: number) => new Date(at.getTime() + seconds * 1000);

/** The delivery record's store and view on both engines: pending, delivered, failed, pruned. */
describe.each(DATABASE_KINDS)("delivery record on %s", (kind) => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    const { db } = database;
    await syncFeedDefinitions(db, parseFeedDefinitions(await shippedFeedFiles()), at);
    await insertBareArticle(db, ARTICLE, at);
    const followers = createFollowerRepository(db);
    for (const server of ["a.example", "b.example", "c.example", "d.example"]) {
      await followers.add(
        "world",
        {
          actorId: `https://${server}/users/ann`,
          inboxUrl: `https://${server}/users/ann/inbox`,
          sharedInboxUrl: `https://${server}/inbox`,
          followId: null,
        },
        at,
      );
    }
  });
  afterAll(async () => {
    await database?.destroy();
  });

  const queued = (activityId: string, feedSlug: string, hosts: Record<string, number>) => ({
    activityId,
    articleId: ARTICLE,
    revision: 1,
    feedSlug,
    kind: "create" as const,
    inboxesByHost: new Map(Object.entries(hosts)),
  });
  const outcome = (activityId: string, host: string, status: string, seconds: number) => {
    const ok = status.startsWith("2");
    return {
      activityId,
      host,
      delivered: ok ? 1 : 0,
      givenUp: status === "410" ? 1 : 0,
      attempts: 1,
      lastStatus: status,
      lastAttemptAt: later(seconds),
      lastSuccessAt: ok ? later(seconds) : null,
      lastFailureAt: ok ? null : later(seconds),
    };
  };

  it("folds a publish's outcomes per server: delivered, failed with its last status, pending", async () => {
    const store = createDeliveryRecordStore(database.db);
    const view = createDeliveryRecordView(database.db);
    // Two feeds' activities of one publish; b.example has two inboxes for the second one.
    await store.recordQueued(queued("act-world", "world", { "a.example": 1, "b.example": 1 }), at);
    await store.recordQueued(
      queued("act-story", "us-russia-syria", { "b.example": 2, "c.example": 1, "d.example": 1 }),
      at,
    );
    // A repeated relay keeps what it finds.
    await store.recordQueued(queued("act-world", "world", { "a.example": 5 }), at);
    expect(await view.deliverySummary(ARTICLE)).toEqual({
      articleId: ARTICLE,
      revision: 1,
      delivered: 0,
      failed: 0,
      pending: 4,
      servers: 4,
    });

    await store.recordOutcomes([
      outcome("act-world", "a.example", "202", 1),
      outcome("act-world", "b.example", "202", 1),
      outcome("act-story", "b.example", "200", 2),
      outcome("act-story", "c.example", "503", 2),
      outcome("act-story", "d.example", "410", 3),
      outcome("not-recorded", "a.example", "202", 3),
    ]);
    await store.recordOutcomes([outcome("act-story", "c.example", "timeout", 5)]);

    const page = await view.deliveriesForArticle(ARTICLE, { limit: 10 });
    if (!page.ok) throw new Error(page.error);
    expect(page.value.summary).toMatchObject({ delivered: 1, failed: 2, pending: 1, servers: 4 });
    const byHost = Object.fromEntries(page.value.items.map((item) => [item.host, item]));
    expect(page.value.items.map((item) => item.host)).toEqual([
      "a.example",
      "b.example",
      "c.example",
      "d.example",
    ]);
    expect(byHost["a.example"]).toMatchObject({
      state: "delivered",
      lastStatus: "202",
      attempts: 1,
    });
    // One of b.example's two inboxes of the second activity has not answered yet.
    expect(byHost["b.example"]).toMatchObject({ state: "pending", inboxes: 3, delivered: 2 });
    expect(byHost["c.example"]).toMatchObject({
      state: "failed",
      lastStatus: "timeout",
      attempts: 2,
      lastAttemptAt: later(5),
    });
    expect(byHost["d.example"]).toMatchObject({ state: "failed", lastStatus: "410", givenUp: 1 });

    const failedOnly = await view.deliveriesForArticle(ARTICLE, { limit: 10, state: "failed" });
    expect(failedOnly.ok && failedOnly.value.items.map((item) => item.host)).toEqual([
      "c.example",
      "d.example",
    ]);
  });

  it("pages by host with a cursor, and refuses one it did not hand out", async () => {
    const view = createDeliveryRecordView(database.db);
    const first = await view.deliveriesForArticle(ARTICLE, { limit: 3 });
    if (!first.ok) throw new Error(first.error);
    expect(first.value.items).toHaveLength(3);
    expect(first.value.nextCursor).not.toBeNull();
    const second = await view.deliveriesForArticle(ARTICLE, {
      limit: 3,
      cursor: first.value.nextCursor ?? undefined,
    });
    expect(second.ok && second.value.items.map((item) => item.host)).toEqual(["d.example"]);
    expect(second.ok && second.value.nextCursor).toBeNull();
    expect(await view.deliveriesForArticle(ARTICLE, { limit: 3, cursor: "%%%" })).toEqual({
      ok: false,
      error: "invalid-cursor",
    });
    expect(
      await view.deliveriesForArticle("0193a1b2-0000-7000-8000-00000000ffff", { limit: 3 }),
    ).toEqual({ ok: false, error: "article-not-found" });
  });

  it("lists remote servers with followers, last success, failures and circuit state", async () => {
    const view = createDeliveryRecordView(database.db);
    // Fedify's circuit breaker opened for c.example (its key layout, in its key-value store).
    await new KyselyKvStore(database.db).set(["_fedify", "circuit", "c.example"], {
      state: "open",
      failures: [],
      opened: later(5).toISOString(),
    });
    const all = await view.remoteServers({ limit: 10 });
    if (!all.ok) throw new Error(all.error);
    const byHost = Object.fromEntries(all.value.items.map((item) => [item.host, item]));
    expect(Object.keys(byHost)).toEqual(["a.example", "b.example", "c.example", "d.example"]);
    expect(byHost["a.example"]).toMatchObject({
      followers: 1,
      lastSuccessAt: later(1),
      failures: 0,
      circuit: null,
      failing: false,
    });
    expect(byHost["c.example"]).toMatchObject({
      failures: 1,
      lastStatus: "timeout",
      circuit: "open",
      failing: true,
    });
    const failing = await view.remoteServers({ failing: true, limit: 1 });
    if (!failing.ok) throw new Error(failing.error);
    expect(failing.value.items.map((item) => item.host)).toEqual(["c.example"]);
    const rest = await view.remoteServers({
      failing: true,
      limit: 1,
      cursor: failing.value.nextCursor ?? undefined,
    });
    expect(rest.ok && rest.value.items.map((item) => item.host)).toEqual(["d.example"]);
  });

  it("prunes the rows written before a time, and only those", async () => {
    const store = createDeliveryRecordStore(database.db);
    const view = createDeliveryRecordView(database.db);
    await store.recordQueued(
      { ...queued("act-new", "world", { "a.example": 1 }), revision: 2 },
      later(86_400),
    );
    expect(await store.prune(later(60))).toBe(5);
    expect(await view.deliverySummary(ARTICLE, 1)).toMatchObject({ servers: 0 });
    expect(await view.deliverySummary(ARTICLE)).toMatchObject({ revision: 2, pending: 1 });
  });
});
