import type {
  MessageQueue,
  MessageQueueDepth,
  MessageQueueEnqueueOptions,
  MessageQueueListenOptions,
} from "@fedify/fedify";

/**
 * Takes one of Fedify's queued messages before Fedify's handler, or declines it. `true`: the
 * message is done (an inbox accepted it, or it was dropped on purpose). `false`: Fedify's own
 * handler must take the message.
 */
/** Wraps Fedify's handling of one message (delivery-metrics.ts times, counts and records it). */
export interface HandlerObserver {
  observe(message: unknown, handle: () => Promise<void>): Promise<void>;
  /** Fedify queued a message (from within a handler: a retry or a circuit hold). */
  enqueued?(message: unknown): void;
}

export type OutboxShortcut = (message: unknown) => Promise<boolean>;

/** Shortcuts tried in order: the first that takes a message ends it. */
export function firstTaker(...shortcuts: readonly OutboxShortcut[]): OutboxShortcut {
  return async (message) => {
    for (const shortcut of shortcuts) if (await shortcut(message)) return true;
    return false;
  };
}

/** A shortcut with connections to close when the process stops delivering. */
export interface OutboxSender {
  readonly send: OutboxShortcut;
  close(): void;
}

/**
 * Fedify's queue with a shortcut in front of its handler: each message is first offered to
 * `shortcut`, and goes to Fedify's own handler only if the shortcut declines it. A message the
 * shortcut took is done (acknowledged by the queue like any handled message); a shortcut that
 * throws fails the message like a throwing handler, so the queue retries it. Enqueueing is the
 * inner queue's, untouched.
 */
export class OutboxShortcutQueue implements MessageQueue {
  readonly #inner: MessageQueue;
  readonly #shortcut: OutboxShortcut;
  readonly #observer: HandlerObserver | undefined;
  readonly nativeRetrial: boolean;
  readonly enqueueMany?: (
    messages: readonly unknown[],
    options?: MessageQueueEnqueueOptions,
  ) => Promise<void>;
  readonly getDepth?: () => Promise<MessageQueueDepth>;

  constructor(inner: MessageQueue, shortcut: OutboxShortcut, observer?: HandlerObserver) {
    this.#inner = inner;
    this.#shortcut = shortcut;
    this.#observer = observer;
    this.nativeRetrial = inner.nativeRetrial ?? false;
    // Offered only where the inner queue has them: Fedify looks for them before using them.
    const { enqueueMany, getDepth } = inner;
    if (enqueueMany)
      this.enqueueMany = (messages, options) => enqueueMany.call(inner, messages, options);
    if (getDepth) this.getDepth = () => getDepth.call(inner);
  }

  enqueue(message: unknown, options?: MessageQueueEnqueueOptions): Promise<void> {
    this.#observer?.enqueued?.(message);
    return this.#inner.enqueue(message, options);
  }

  listen(
    handler: (message: unknown) => Promise<void> | void,
    options?: MessageQueueListenOptions,
  ): Promise<void> {
    const observer = this.#observer;
    return this.#inner.listen(async (message) => {
      if (await this.#shortcut(message)) return;
      if (observer) await observer.observe(message, async () => handler(message));
      else await handler(message);
    }, options);
  }
}
