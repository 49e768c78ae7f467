import { InProcessMessageQueue, type MessageQueue } from "@fedify/fedify";
import { describe, expect, it } from "vitest";
import { OutboxShortcutQueue } from "../../src/federation/outbox-shortcut-queue.ts";
import { deferred } from "../support/deferred.ts";

describe("OutboxShortcutQueue", () => {
  it("offers each message to the shortcut first; Fedify's handler gets only what it declined", async () => {
    const offered: number[] = [];
    const handled: number[] = [];
    const allSeen = deferred();
    const check = () => {
      if (offered.length === 6 && handled.length === 3) allSeen.resolve();
    };
    const queue = new OutboxShortcutQueue(new InProcessMessageQueue(), async (message) => {
      const { n } = message as { n: number };
      offered.push(n);
      check();
      return n % 2 === 0;
    });
    const stop = new AbortController();
    const listening = queue.listen(
      (message) => {
        handled.push((message as { n: number }).n);
        check();
      },
      { signal: stop.signal },
    );
    for (let n = 1; n <= 6; n++) await queue.enqueue({ n });
    // Every message has been offered and every declined one handled.
    await allSeen.promise;
    expect(offered.sort()).toEqual([1, 2, 3, 4, 5, 6]);
    stop.abort();
    await listening;
    expect(handled.sort()).toEqual([1, 3, 5]);
  });

  it("has enqueueMany and getDepth exactly when the queue it wraps has them", async () => {
    const bare: MessageQueue = {
      enqueue: async () => {},
      listen: async () => {},
    };
    const wrappedBare = new OutboxShortcutQueue(bare, async () => false);
    expect(wrappedBare.enqueueMany).toBeUndefined();
    expect(wrappedBare.getDepth).toBeUndefined();
    expect(wrappedBare.nativeRetrial).toBe(false);

    const batches: unknown[][] = [];
    const full: MessageQueue = {
      nativeRetrial: true,
      enqueue: async () => {},
      enqueueMany: async (messages) => {
        batches.push([...messages]);
      },
      listen: async () => {},
      getDepth: async () => ({ queued: 7, ready: 5, delayed: 2 }),
    };
    const wrappedFull = new OutboxShortcutQueue(full, async () => false);
    await wrappedFull.enqueueMany?.([{ a: 1 }, { a: 2 }]);
    expect(batches).toEqual([[{ a: 1 }, { a: 2 }]]);
    expect(await wrappedFull.getDepth?.()).toEqual({ queued: 7, ready: 5, delayed: 2 });
    expect(wrappedFull.nativeRetrial).toBe(true);
  });
});
