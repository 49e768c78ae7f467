import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseFeedDefinitions } from "../../src/schemas/feed-definitions.ts";
import { syncFeedDefinitions } from "../../src/storage/feed-sync.ts";
import { createFollowerRepository } from "../../src/storage/follower-repository.ts";
import { createTestDatabase, DATABASE_KINDS, type TestDatabase } from "../support/databases.ts";
import { shippedFeedFiles } from "../support/test-app.ts";

/** Who a fan-out posts to, and who goes when an inbox is gone. */
describe.each(DATABASE_KINDS)("follower repository on %s", (kind) => {
  let database: TestDatabase;
  const at = new Date("2026-11-20T12:00:00Z");
  const follower = (server: string, name: string, shared: boolean) => ({
    actorId: `https://${server}/users/${name}`,
    inboxUrl: `https://${server}/users/${name}/inbox`,
    sharedInboxUrl: shared ? `https://${server}/inbox` : null,
    followId: null,
  });

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    await syncFeedDefinitions(database.db, parseFeedDefinitions(await shippedFeedFiles()), at);
    const followers = createFollowerRepository(database.db);
    for (const name of ["ann", "ben", "cat"]) {
      await followers.add("world", follower("mastodon.example", name, true), at);
    }
    await followers.add("world", follower("small.example", "dan", false), at);
    await followers.add("world", follower("small.example", "eve", false), at);
    await followers.add("us-russia-syria", follower("mastodon.example", "ann", true), at);
  });
  afterAll(async () => {
    await database?.destroy();
  });

  it("names one follower per inbox a delivery goes to: the shared one, else each own", async () => {
    const targets = await createFollowerRepository(database.db).onePerInbox("world");
    const inboxes = targets.map((t) => t.sharedInboxUrl ?? t.inboxUrl).sort();
    expect(inboxes).toEqual([
      "https://mastodon.example/inbox",
      "https://small.example/users/dan/inbox",
      "https://small.example/users/eve/inbox",
    ]);
    const onMastodon = targets.find((t) => t.sharedInboxUrl === "https://mastodon.example/inbox");
    expect(onMastodon?.actorId).toMatch(/^https:\/\/mastodon\.example\/users\/(ann|ben|cat)$/);
  });

  it("removes every follower behind a gone inbox, in every feed, and no one else", async () => {
    const followers = createFollowerRepository(database.db);
    expect(await followers.removeByInbox("https://mastodon.example/inbox")).toBe(4);
    expect(await followers.removeByInbox("https://small.example/users/dan/inbox")).toBe(1);
    expect((await followers.onePerInbox("world")).map((f) => f.actorId)).toEqual([
      "https://small.example/users/eve",
    ]);
    expect(await followers.count("us-russia-syria")).toBe(0);
  });
});
