import type {
  MessageQueue,
  MessageQueueEnqueueOptions,
  MessageQueueListenOptions,
} from "@fedify/fedify";
import type { Temporal } from "@js-temporal/polyfill";

/** What the Cloudflare Queues producer binding takes, as far as this adapter uses it. */
export interface QueueSendOptions {
  readonly contentType?: "json" | "text" | "bytes" | "v8";
  readonly delaySeconds?: number;
}

export interface QueueSendBatchRequest {
  readonly body: unknown;
  readonly contentType?: "json" | "text" | "bytes" | "v8";
  readonly delaySeconds?: number;
}

/** A Queue producer binding (`env.DELIVERY_QUEUE`). */
export interface Queue {
  send(body: unknown, options?: QueueSendOptions): Promise<void>;
  sendBatch(
    messages: Iterable<QueueSendBatchRequest>,
    options?: { readonly delaySeconds?: number },
  ): Promise<void>;
}

/** Cloudflare Queues' longest delivery delay (12 hours). */
const MAX_DELAY_SECONDS = 43_200;

/**
 * Fedify's message queue on Cloudflare Queues (the producer half). Consuming is the Worker's
 * `queue()` handler, which hands each message to `federation.processQueuedTask()`: Queues push
 * batches to the Worker, there is nothing to poll, so `listen()` is refused.
 *
 * Ordering keys are not honoured: Queues deliver in no particular order. A Create still being
 * retried can be overtaken by its Update, which a server that has not seen the Create ignores,
 * so it shows the earlier revision; activity ids stay deterministic, so nothing is duplicated.
 */
export class CloudflareMessageQueue implements MessageQueue {
  /**
   * Failed messages are retried by Queues (with the backoff the consumer asks for) and end in
   * the dead-letter queue after `max_retries`, instead of Fedify re-enqueueing them.
   */
  readonly nativeRetrial = true;

  readonly #queue: Queue;

  constructor(queue: Queue) {
    this.#queue = queue;
  }

  enqueue(message: unknown, options?: MessageQueueEnqueueOptions): Promise<void> {
    return this.#queue.send(message, { contentType: "json", delaySeconds: delayOf(options) });
  }

  async enqueueMany(
    messages: readonly unknown[],
    options?: MessageQueueEnqueueOptions,
  ): Promise<void> {
    if (messages.length === 0) return;
    const delaySeconds = delayOf(options);
    // sendBatch takes at most 100 messages (and 256 KB) per call.
    for (let start = 0; start < messages.length; start += 100) {
      await this.#queue.sendBatch(
        messages.slice(start, start + 100).map((body) => ({ body, contentType: "json" as const })),
        { delaySeconds },
      );
    }
  }

  listen(
    _handler: (message: unknown) => Promise<void> | void,
    _options?: MessageQueueListenOptions,
  ): Promise<void> {
    return Promise.reject(
      new TypeError(
        "CloudflareMessageQueue cannot listen: the Worker's queue() handler consumes it",
      ),
    );
  }
}

/** Whole seconds (Queues' unit), rounded up so a message never runs early, within Queues' cap. */
function delayOf(options: MessageQueueEnqueueOptions | undefined): number {
  const delay = options?.delay as Temporal.Duration | undefined;
  if (delay == null) return 0;
  return Math.min(MAX_DELAY_SECONDS, Math.max(0, Math.ceil(delay.total("second"))));
}
