import type { RateLimiterRes } from "rate-limiter-flexible";
import RateLimiterMemory from "rate-limiter-flexible/lib/RateLimiterMemory.js";
import { problem, problemResponse } from "./problem.ts";

/**
 * A budget of events per key (an address, a remote host) per window, kept in this process's
 * memory by `rate-limiter-flexible`. Over budget, `take` answers how long to wait; each process
 * (and each Worker isolate) counts on its own, so the limit is per process.
 */
export interface RateLimit {
  /** Spends one event; the wait in ms when the budget is spent (the event is refused), else 0. */
  take(key: string): Promise<number>;
  /** Whether the budget is spent, without spending: the wait in ms, else 0. */
  peek(key: string): Promise<number>;
}

export function createRateLimit(options: {
  readonly points: number;
  readonly windowSeconds: number;
  /** Once spent, refuse for this long (default: until the window ends). */
  readonly blockSeconds?: number;
}): RateLimit {
  const limiter = new RateLimiterMemory({
    points: options.points,
    duration: options.windowSeconds,
    ...(options.blockSeconds ? { blockDuration: options.blockSeconds } : {}),
  });
  return {
    async take(key) {
      try {
        await limiter.consume(key);
        return 0;
      } catch (refusal) {
        return waitOf(refusal);
      }
    },
    async peek(key) {
      const state = await limiter.get(key);
      return state && state.remainingPoints <= 0 && state.consumedPoints > options.points
        ? Math.max(1, state.msBeforeNext)
        : 0;
    },
  };
}

function waitOf(refusal: unknown): number {
  if (refusal instanceof Error) throw refusal;
  return Math.max(1, (refusal as RateLimiterRes).msBeforeNext);
}

/** `429 Too Many Requests` with `Retry-After` in whole seconds. */
export function tooManyRequests(waitMs: number, detail: string): Response {
  const seconds = Math.max(1, Math.ceil(waitMs / 1000));
  return problemResponse(problem("tooManyRequests", detail, { retryAfterSeconds: seconds }), {
    "retry-after": String(seconds),
  });
}
