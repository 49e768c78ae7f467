import { Temporal } from "@js-temporal/polyfill";
import { describe, expect, it } from "vitest";
import type { MessageBatch } from "../../../src/entries/cloudflare/cloudflare.ts";
import { consumeBatch, retryDelaySeconds } from "../../../src/entries/cloudflare/queue-consumer.ts";
import {
  CloudflareMessageQueue,
  type Queue,
  type QueueSendBatchRequest,
} from "../../../src/fedify-kysely/cloudflare-message-queue.ts";
import { silentLogger } from "../../../src/logger.ts";

/** A Queue binding that records what was sent. */
function recordingQueue() {
  const sent: { body: unknown; delaySeconds: number | undefined; contentType?: string }[] = [];
  const batches: number[] = [];
  const queue: Queue = {
    async send(body, options) {
      sent.push({ body, delaySeconds: options?.delaySeconds, contentType: options?.contentType });
    },
    async sendBatch(messages, options) {
      const list = [...messages] as QueueSendBatchRequest[];
      batches.push(list.length);
      for (const message of list) {
        sent.push({
          body: message.body,
          delaySeconds: options?.delaySeconds,
          contentType: message.contentType,
        });
      }
    },
  };
  return { queue, sent, batches };
}

describe("CloudflareMessageQueue", () => {
  it("sends JSON messages with their delay in whole seconds, rounded up and capped at 12 h", async () => {
    const { queue, sent } = recordingQueue();
    const mq = new CloudflareMessageQueue(queue);
    expect(mq.nativeRetrial).toBe(true);
    await mq.enqueue({ type: "outbox" });
    await mq.enqueue({ type: "inbox" }, { delay: Temporal.Duration.from({ milliseconds: 1_200 }) });
    await mq.enqueue({ type: "late" }, { delay: Temporal.Duration.from({ hours: 30 }) });
    expect(sent).toEqual([
      { body: { type: "outbox" }, delaySeconds: 0, contentType: "json" },
      { body: { type: "inbox" }, delaySeconds: 2, contentType: "json" },
      { body: { type: "late" }, delaySeconds: 43_200, contentType: "json" },
    ]);
  });

  it("sends many messages in batches of at most 100", async () => {
    const { queue, sent, batches } = recordingQueue();
    const mq = new CloudflareMessageQueue(queue);
    await mq.enqueueMany(Array.from({ length: 250 }, (_, i) => ({ i })));
    await mq.enqueueMany([]);
    expect(batches).toEqual([100, 100, 50]);
    expect(sent.map((m) => (m.body as { i: number }).i)).toEqual(
      Array.from({ length: 250 }, (_, i) => i),
    );
  });

  it("refuses to listen: the Worker's queue() handler consumes it", async () => {
    const mq = new CloudflareMessageQueue(recordingQueue().queue);
    await expect(mq.listen(() => {})).rejects.toThrow(/queue\(\) handler/);
  });
});

describe("the queue consumer", () => {
  it("acknowledges what succeeded and retries what failed, with a growing backoff", async () => {
    const outcomes: string[] = [];
    const message = (id: string, attempts: number) => ({
      id,
      timestamp: new Date(),
      body: { id },
      attempts,
      ack: () => outcomes.push(`${id} ack`),
      retry: (options?: { delaySeconds?: number }) =>
        outcomes.push(`${id} retry ${options?.delaySeconds}`),
    });
    const batch: MessageBatch = {
      queue: "tidings-deliveries",
      messages: [message("a", 1), message("b", 3)],
    };
    await consumeBatch(
      batch,
      async (body) => {
        if ((body as { id: string }).id === "b") throw new Error("inbox is down");
      },
      silentLogger,
    );
    expect(outcomes.sort()).toEqual(["a ack", "b retry 20"]);
    expect([1, 2, 3, 10].map(retryDelaySeconds)).toEqual([5, 10, 20, 2_560]);
    expect(retryDelaySeconds(40)).toBe(43_200);
  });
});
