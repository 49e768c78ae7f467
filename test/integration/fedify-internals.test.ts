import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { MessageQueue, MessageQueueEnqueueOptions } from "@fedify/fedify";
import { MemoryKvStore } from "@fedify/fedify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDeps, systemClock } from "../../src/deps.ts";
import { installedFedifyVersion } from "../../src/entries/node/setup.ts";
import { createAddressGuard } from "../../src/federation/address-guard.ts";
import { DirectDelivery } from "../../src/federation/direct-delivery.ts";
import {
  directSenderFits,
  FEDIFY_KV_PREFIXES,
  FEDIFY_VERSION_WRITTEN_FOR,
  fedifyKey,
  readOutboxMessage,
} from "../../src/federation/fedify-internals.ts";
import { dropNonPublicDeliveries } from "../../src/federation/outbox-address-guard.ts";
import { createFederationRuntime, type FederationRuntime } from "../../src/federation/runtime.ts";
import { silentLogger } from "../../src/logger.ts";
import { parseFeedDefinitions } from "../../src/schemas/feed-definitions.ts";
import { syncFeedDefinitions } from "../../src/storage/feed-sync.ts";
import { createFollowerRepository } from "../../src/storage/follower-repository.ts";
import { createStores } from "../../src/storage/stores.ts";
import { createTestDatabase, type TestDatabase } from "../support/databases.ts";
import { ADMIN_TOKEN, shippedFeedFiles } from "../support/test-app.ts";

/** Fedify's queue, replaced by a list: what Fedify's real `sendActivity` enqueues, kept. */
class CapturingQueue implements MessageQueue {
  readonly messages: unknown[] = [];
  async enqueue(message: unknown, _options?: MessageQueueEnqueueOptions): Promise<void> {
    this.messages.push(message);
  }
  async enqueueMany(messages: readonly unknown[]): Promise<void> {
    this.messages.push(...messages);
  }
  listen(_handler: (message: unknown) => Promise<void>, options?: { signal?: AbortSignal }) {
    return new Promise<void>((resolve) =>
      options?.signal?.addEventListener("abort", () => resolve()),
    );
  }
}

/**
 * The contract between Tidings and Fedify's internals (src/federation/fedify-internals.ts):
 * a publish runs through Fedify's real `sendActivity` into a capturing queue, and what Fedify
 * queued must read back as outbox messages that the address check and the direct sender act
 * on. A Fedify upgrade that changes the format fails here instead of quietly falling back.
 */
describe("the Fedify internals Tidings relies on", () => {
  const PUBLIC_URL = "https://news.example";
  let database: TestDatabase;
  let runtime: FederationRuntime;
  let queue: CapturingQueue;
  let inboxServer: Server;
  let posts: { body: string; signature: string | undefined }[];

  beforeAll(async () => {
    database = await createTestDatabase("pglite");
    await syncFeedDefinitions(
      database.db,
      parseFeedDefinitions(await shippedFeedFiles()),
      new Date(),
    );
    queue = new CapturingQueue();
    const stores = createStores(database.db);
    runtime = await createFederationRuntime({
      storage: stores.federation,
      publicUrl: PUBLIC_URL,
      logger: silentLogger,
      clock: systemClock,
      databaseUrl: undefined,
      allowPrivateAddress: false,
      deliveryConcurrency: 1,
      queue,
    });
    const followers = createFollowerRepository(database.db);
    for (const [actorId, inboxUrl, sharedInboxUrl] of [
      [
        "https://one.example/users/a",
        "https://one.example/users/a/inbox",
        "https://one.example/inbox",
      ],
      ["https://two.example/users/b", "https://two.example/users/b/inbox", null],
    ] as const) {
      await followers.add(
        "world",
        { actorId, inboxUrl, sharedInboxUrl, followId: null },
        new Date(),
      );
    }
    const deps = createDeps({
      config: {
        publicUrl: PUBLIC_URL,
        adminToken: ADMIN_TOKEN,
        maxBodyBytes: 1 << 20,
        feedItemLimit: 50,
      },
      stores,
      logger: silentLogger,
      federation: runtime,
    });
    const published = await deps.articles.publish({
      headline: "A story for the contract",
      standfirst: null,
      bodyHtml: "<p>Body</p>",
      authors: [],
      image: null,
      tags: [],
      feeds: ["world"],
      language: null,
      publishedAt: new Date(),
      canonicalUrl: null,
      pinned: false,
      externalId: null,
    });
    expect(published.ok).toBe(true);
    await runtime.relay.drain();

    posts = [];
    inboxServer = createServer((req, res) => {
      let body = "";
      req.on("data", (chunk) => {
        body += chunk;
      });
      req.on("end", () => {
        posts.push({ body, signature: req.headers.signature as string | undefined });
        res.writeHead(202).end();
      });
    });
    await new Promise<void>((resolve) => inboxServer.listen(0, "127.0.0.1", resolve));
  });
  afterAll(async () => {
    await new Promise((resolve) => inboxServer?.close(resolve));
    await database?.destroy();
  });

  it("is the Fedify release the internals were written for", () => {
    expect(installedFedifyVersion()).toBe(FEDIFY_VERSION_WRITTEN_FOR);
    expect(directSenderFits(installedFedifyVersion())).toEqual({ ok: true });
    expect(directSenderFits("2.4.0").ok).toBe(false);
  });

  it("reads every message Fedify queued for a publish as a first-attempt outbox message", () => {
    expect(queue.messages).toHaveLength(2);
    const inboxes = queue.messages.map((message) => {
      const outbox = readOutboxMessage(message);
      expect(outbox).toBeDefined();
      expect(outbox?.attempt).toBe(0);
      expect(outbox?.circuitHeld).not.toBe(true);
      expect(outbox?.activityId).toMatch(
        /^https:\/\/news\.example\/ap\/feeds\/world\/articles\/.+\/create$/,
      );
      expect((outbox?.activity as { id?: string } | undefined)?.id).toBe(outbox?.activityId);
      const rsa = outbox?.keys.find((key) => key.privateKey.kty === "RSA");
      expect(rsa?.keyId).toBe(`${PUBLIC_URL}/ap/feeds/world#main-key`);
      expect(typeof rsa?.privateKey.n).toBe("string");
      return outbox?.inbox;
    });
    // One POST per inbox, to the shared inbox where there is one.
    expect(inboxes.sort()).toEqual([
      "https://one.example/inbox",
      "https://two.example/users/b/inbox",
    ]);
  });

  it("lets the address check drop a queued message for a private inbox, and its followers", async () => {
    const [message] = queue.messages;
    const pointedInward = { ...(message as object), inbox: "http://127.0.0.1:6379/" };
    const guard = createAddressGuard({ allowPrivateAddress: false });
    const drop = dropNonPublicDeliveries(
      guard,
      createFollowerRepository(database.db),
      silentLogger,
    );
    expect(await drop(pointedInward)).toBe(true);
    // A message shaped unlike the one the direct sender reads is still checked by its inbox.
    expect(await drop({ type: "outbox", inbox: "http://10.0.0.1/inbox" })).toBe(true);
    expect(await drop({ type: "inbox", activity: {} })).toBe(false);
  });

  it("lets the direct sender post a queued message, signed, with the activity as body", async () => {
    const kv = new MemoryKvStore();
    const inbox = `http://127.0.0.1:${(inboxServer.address() as AddressInfo).port}/inbox`;
    await kv.set(
      fedifyKey(FEDIFY_KV_PREFIXES.signatureSpec, new URL(inbox).origin),
      "draft-cavage-http-signatures-12",
    );
    const sender = new DirectDelivery({
      kv,
      addressGuard: createAddressGuard({ allowPrivateAddress: true }),
      userAgent: "Tidings contract test",
      logger: silentLogger,
    });
    try {
      const [message] = queue.messages;
      expect(await sender.send({ ...(message as object), inbox })).toBe(true);
      expect(posts).toHaveLength(1);
      const outbox = readOutboxMessage(message);
      expect(JSON.parse(posts[0]?.body ?? "{}")).toEqual(outbox?.activity);
      expect(posts[0]?.signature).toContain(`keyId="${PUBLIC_URL}/ap/feeds/world#main-key"`);
    } finally {
      sender.close();
    }
  });
});
