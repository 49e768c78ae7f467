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
import type { DeliveryRecorder } from "./delivery-recorder.ts";
import { readOutboxDestination, readOutboxMessage } from "./fedify-internals.ts";

/** What Fedify's sender said about the one message being handled (set by `onOutboxError`). */
interface Attempt {
  failure?: DeliveryOutcome;
  /** The record's status of the failure: the HTTP status, or "timeout" / "error" / "circuit". */
  status?: string;
  givenUp?: boolean;
  /** Fedify put the message back for its circuit breaker without sending it. */
  held?: boolean;
}

/**
 * Watches what Fedify's own sender does with the deliveries it takes, for the metrics and the
 * delivery record: the handler of one queued message runs inside `observe`, Fedify's
 * `onOutboxError` (called within it) marks the attempt failed, its retry policy and permanent
 * failure handler tell whether a failure is given up, and a message it queues again with
 * `circuitHeld` (seen by `enqueued`) was not sent at all.
 */
export class FedifyDeliveryObserver {
  readonly #metrics: Metrics | undefined;
  readonly #recorder: DeliveryRecorder | undefined;
  readonly #attempt = new AsyncLocalStorage<Attempt>();
  readonly #policy: RetryPolicy = createExponentialBackoffPolicy();

  constructor(metrics: Metrics | undefined, recorder: DeliveryRecorder | undefined) {
    this.#metrics = metrics;
    this.#recorder = recorder;
  }

  /** Runs Fedify's handler of one queued message; outbox messages are timed and counted. */
  async observe(message: unknown, handle: () => Promise<void>): Promise<void> {
    const destination = readOutboxDestination(message);
    if (!destination) return handle();
    const attempt: Attempt = {};
    const start = performance.now();
    await this.#attempt.run(attempt, handle);
    this.#metrics?.delivery("fedify", attempt.failure ?? "sent", secondsSince(start));
    if (attempt.held && !attempt.failure) return;
    this.#recorder?.record({
      activityId: destination.activityId,
      inbox: destination.inbox,
      // Fedify does not say which 2xx it got.
      status: attempt.status ?? "2xx",
      delivered: !attempt.failure && !attempt.givenUp,
      givenUp: attempt.givenUp === true,
    });
  }

  /** A message Fedify queued while handling the one in hand: a circuit hold, or a retry. */
  enqueued(message: unknown): void {
    const attempt = this.#attempt.getStore();
    if (attempt && readOutboxMessage(message)?.circuitHeld === true) attempt.held = true;
  }

  /** Fedify's `onOutboxError`: the attempt in hand failed. */
  readonly onOutboxError = (error: Error): void => {
    const attempt = this.#attempt.getStore();
    if (!attempt) return;
    attempt.failure = failureOutcome(error);
    attempt.status =
      error instanceof SendActivityError
        ? String(error.statusCode)
        : attempt.failure === "timeout"
          ? "timeout"
          : "error";
  };

  /** Fedify's default retry policy, counting each retry and each delivery out of attempts. */
  readonly retryPolicy: RetryPolicy = (context) => {
    const delay = this.#policy(context);
    this.#metrics?.delivery("fedify", delay == null ? "given_up" : "retried");
    const attempt = this.#attempt.getStore();
    if (attempt && delay == null) attempt.givenUp = true;
    return delay;
  };

  /** An inbox gone for good (404/410, `statusCode`) or a circuit held too long (0): given up. */
  givenUp(statusCode: number): void {
    this.#metrics?.delivery("fedify", "given_up");
    const attempt = this.#attempt.getStore();
    if (!attempt) return;
    attempt.givenUp = true;
    attempt.failure ??= "given_up";
    attempt.status ??= statusCode === 0 ? "circuit" : String(statusCode);
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
