import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createApp } from "../../src/app.ts";
import { createDeps } from "../../src/deps.ts";
import { silentLogger } from "../../src/logger.ts";
import { createDatabase, type Db } from "../../src/storage/database.ts";
import {
  type FeedChangeListener,
  listenForFeedChanges,
} from "../../src/storage/feed-change-notifications.ts";
import { createStores } from "../../src/storage/stores.ts";
import { createTestApp, PUBLIC_URL, type TestApp } from "../support/test-app.ts";

/** Two app "processes" on one PostgreSQL: a change made through one shows in the other's feeds. */
describe("feed changes across processes sharing PostgreSQL", () => {
  let a: TestApp;
  let bDb: Db;
  let bApp: ReturnType<typeof createApp>;
  let listener: FeedChangeListener;

  beforeAll(async () => {
    a = await createTestApp("postgres");
    const url = a.database.url ?? "";
    bDb = createDatabase({ databaseUrl: url });
    const bDeps = createDeps({
      config: {
        publicUrl: PUBLIC_URL,
        adminToken: undefined,
        maxBodyBytes: 1024,
        feedItemLimit: 50,
      },
      stores: createStores(bDb),
      logger: silentLogger,
    });
    bApp = createApp(bDeps);
    listener = listenForFeedChanges({
      databaseUrl: url,
      origin: bDeps.instanceId,
      logger: silentLogger,
      onChange: bDeps.onExternalFeedChange,
    });
  });
  afterAll(async () => {
    await listener.close();
    await bDb.destroy();
    await a.destroy();
  });

  const bFeed = async () => (await bApp.request("/feeds/world.json")).text();

  it("refreshes the other process's cached documents after a commit", async () => {
    expect(await bFeed()).not.toContain("Talks in Vienna");
    const push = await a.admin("POST", "/admin/articles", {
      headline: "Talks in Vienna",
      bodyHtml: "<p>Text</p>",
      feeds: ["world"],
    });
    expect(push.status).toBe(201);
    await vi.waitFor(async () => expect(await bFeed()).toContain("Talks in Vienna"), {
      timeout: 5_000,
      interval: 20,
    });
  });

  it("announces nothing for a request that failed", async () => {
    const before = await bFeed();
    const refused = await a.admin("POST", "/admin/articles", {
      headline: "Never stored",
      bodyHtml: "<p>Text</p>",
      feeds: ["world", "no-such-feed"],
    });
    expect(refused.status).toBe(422);
    const marker = await a.admin("POST", "/admin/articles", {
      headline: "Stored after the failure",
      bodyHtml: "<p>Text</p>",
      feeds: ["world"],
    });
    expect(marker.status).toBe(201);
    await vi.waitFor(async () => expect(await bFeed()).toContain("Stored after the failure"), {
      timeout: 5_000,
      interval: 20,
    });
    expect(before).not.toContain("Never stored");
    expect(await bFeed()).not.toContain("Never stored");
  });
});
