import { AsyncLocalStorage } from "node:async_hooks";
import {
  createExponentialBackoffPolicy,
  type RetryPolicy,
  SendActivityError,
} from "@fedify/fedify";
import {
  type DeliveryOutcome,
  type Metrics,
  outcomeOfStatus,
  secondsSince,
} from "../observability/metrics.ts";
import { readOutboxDestination } from "./fedify-internals.ts";

/** What Fedify's sender said about the one message being handled (set by `onOutboxError`). */
interface Attempt {
  failure?: DeliveryOutcome;
}

/**
 * Counts what Fedify's own sender does with the deliveries it takes: the handler of one queued
 * message runs inside `observe`, Fedify's `onOutboxError` (called within it) marks the attempt
 * failed, and its retry policy tells whether a failure is retried or given up. Only built when
 * metrics are on; without them Fedify runs with its defaults and nothing here exists.
 */
export class FedifyDeliveryMetrics {
  readonly #metrics: Metrics;
  readonly #attempt = new AsyncLocalStorage<Attempt>();
  readonly #policy: RetryPolicy = createExponentialBackoffPolicy();

  constructor(metrics: Metrics) {
    this.#metrics = metrics;
  }

  /** Runs Fedify's handler of one queued message; outbox messages are timed and counted. */
  async observe(message: unknown, handle: () => Promise<void>): Promise<void> {
    if (!readOutboxDestination(message)) return handle();
    const attempt: Attempt = {};
    const start = performance.now();
    await this.#attempt.run(attempt, handle);
    this.#metrics.delivery("fedify", attempt.failure ?? "sent", secondsSince(start));
  }

  /** Fedify's `onOutboxError`: the attempt in hand failed. */
  readonly onOutboxError = (error: Error): void => {
    const attempt = this.#attempt.getStore();
    if (attempt) attempt.failure = failureOutcome(error);
  };

  /** Fedify's default retry policy, counting each retry and each delivery out of attempts. */
  readonly retryPolicy: RetryPolicy = (context) => {
    const delay = this.#policy(context);
    this.#metrics.delivery("fedify", delay == null ? "given_up" : "retried");
    return delay;
  };

  /** An inbox gone for good (404/410) or a circuit held too long: given up. */
  givenUp(): void {
    this.#metrics.delivery("fedify", "given_up");
  }
}

/** The outcome a failed POST stands for: the status class, a timeout, or another error. */
export function failureOutcome(error: unknown): DeliveryOutcome {
  if (error instanceof SendActivityError) return outcomeOfStatus(error.statusCode);
  return isTimeout(error) ? "timeout" : "error";
}

function isTimeout(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 4; depth++) {
    if (e.name === "TimeoutError" || /timed? ?out|no answer after/i.test(e.message)) return true;
    e = e.cause;
  }
  return false;
}
