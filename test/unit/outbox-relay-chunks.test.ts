import { Create, type Recipient } from "@fedify/vocab";
import { describe, expect, it, vi } from "vitest";
import type { FederationData } from "../../src/federation/context-data.ts";
import { OutboxRelay } from "../../src/federation/outbox-relay.ts";
import { silentLogger } from "../../src/logger.ts";

vi.mock("../../src/federation/objects.ts", () => {
  const create = () =>
    new Create({ id: new URL("https://news.example/ap/feeds/world/articles/a1#create-1") });
  return { toCreate: create, toUpdate: create, toDelete: create };
});

const PUBLIC_URL = "https://news.example";

interface Sent {
  readonly inboxes: string[];
  readonly activityId: string | undefined;
  readonly orderingKey: string | undefined;
}

/**
 * The relay hands a fan-out to Fedify in chunks of inboxes, one `sendActivity` each; here a fake
 * federation records the calls. Every inbox is in exactly one chunk, every chunk carries the
 * same activity (id), and the entry is completed only after the last chunk was accepted.
 */
function world(options: { servers: number; failOnCall?: number }) {
  const followers = Array.from({ length: options.servers }, (_, i) => ({
    actorId: `https://s${i}.example/users/a`,
    inboxUrl: `https://s${i}.example/users/a/inbox`,
    sharedInboxUrl: `https://s${i}.example/inbox`,
  }));
  const sent: Sent[] = [];
  const log: string[] = [];
  let pending = true;
  let calls = 0;
  const ctx = {
    getActorUri: (id: string) => new URL(`${PUBLIC_URL}/ap/feeds/${id}`),
    getFollowersUri: (id: string) => new URL(`${PUBLIC_URL}/ap/feeds/${id}/followers`),
    sendActivity: async (
      _sender: unknown,
      recipients: Recipient[],
      activity: Create,
      sendOptions: { orderingKey?: string },
    ) => {
      calls++;
      await new Promise((resolve) => setTimeout(resolve, 1));
      if (calls === options.failOnCall) throw new Error("queue refused the chunk");
      sent.push({
        inboxes: recipients.map((r) => (r.endpoints?.sharedInbox ?? r.inboxId)?.href ?? "?"),
        activityId: activity.id?.href,
        orderingKey: sendOptions.orderingKey,
      });
      log.push(`chunk ${recipients.length}`);
    },
  };
  const data = {
    publicUrl: PUBLIC_URL,
    logger: silentLogger,
    clock: { now: () => new Date() },
    repos: {
      feeds: { find: async (slug: string) => ({ slug }) },
      articles: {
        findRevision: async () => ({ id: "a1" }),
        findById: async () => ({ id: "a1", deletedAt: null }),
      },
      followers: { onePerInbox: async () => followers },
      outbox: {
        claim: async () => {
          if (!pending) return undefined;
          pending = false;
          return {
            id: "1",
            kind: "create",
            feedSlug: "world",
            articleId: "a1",
            revision: 1,
            attempts: 1,
          };
        },
        complete: async () => {
          log.push("complete");
        },
        release: async () => {
          log.push("release");
          pending = true; // due again (the test's clock does not wait for the backoff)
        },
      },
    },
  } as unknown as FederationData;
  const federation = { createContext: () => ctx } as never;
  return { relay: new OutboxRelay(federation, data, { chunkInboxes: 1_000 }), sent, log };
}

describe("the outbox relay's chunked fan-out", () => {
  it("enqueues every inbox exactly once, in chunks of at most 1,000, one activity id", async () => {
    const { relay, sent, log } = world({ servers: 2_500 });
    expect(await relay.drain()).toBe(1);
    expect(sent.map((s) => s.inboxes.length)).toEqual([1_000, 1_000, 500]);
    const inboxes = sent.flatMap((s) => s.inboxes);
    expect(inboxes).toHaveLength(2_500);
    expect(new Set(inboxes).size).toBe(2_500);
    expect(new Set(sent.map((s) => s.activityId))).toEqual(
      new Set(["https://news.example/ap/feeds/world/articles/a1#create-1"]),
    );
    expect(new Set(sent.map((s) => s.orderingKey)).size).toBe(1);
    // Completed after the last chunk, not before.
    expect(log).toEqual(["chunk 1000", "chunk 1000", "chunk 500", "complete"]);
  });

  it("a chunk refused leaves the entry pending; the retry sends every chunk, same id", async () => {
    const { relay, sent, log } = world({ servers: 2_500, failOnCall: 2 });
    expect(await relay.drain()).toBe(2); // the failed attempt, then the retry
    expect(log).toEqual([
      "chunk 1000",
      "release",
      "chunk 1000",
      "chunk 1000",
      "chunk 500",
      "complete",
    ]);
    // The retry covers every inbox once; the first chunk's servers see the id a second time.
    const retry = sent.slice(1).flatMap((s) => s.inboxes);
    expect(new Set(retry).size).toBe(2_500);
    expect(retry).toHaveLength(2_500);
    expect(new Set(sent.map((s) => s.activityId)).size).toBe(1);
  });
});
