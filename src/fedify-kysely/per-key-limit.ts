/**
 * At most `limit` handlers at once per key (for deliveries: per remote host), so one server is
 * never sent more than that many requests in parallel however much of the queue is for it.
 * Messages without a key are not limited.
 */
export interface PerKeyLimitOptions {
  readonly limit: number;
  /** The key a queued payload counts against; undefined: not limited. */
  readonly keyOf: (payload: unknown) => string | undefined;
}

export class PerKeyLimit {
  readonly #limit: number;
  readonly #keyOf: (payload: unknown) => string | undefined;
  /** Handlers running per key; a key leaves the map when its last handler finishes. */
  readonly #running = new Map<string, number>();

  constructor(options: PerKeyLimitOptions) {
    this.#limit = Math.max(1, Math.floor(options.limit));
    this.#keyOf = options.keyOf;
  }

  /**
   * Takes a slot for the payload's key: the key (or null when it has none) to hand back to
   * `release` when the handler is done, or undefined when the key is at its limit.
   */
  take(payload: unknown): string | null | undefined {
    const key = this.#keyOf(payload);
    if (key === undefined) return null;
    const running = this.#running.get(key) ?? 0;
    if (running >= this.#limit) return undefined;
    this.#running.set(key, running + 1);
    return key;
  }

  release(key: string | null): void {
    if (key === null) return;
    const running = (this.#running.get(key) ?? 1) - 1;
    if (running > 0) this.#running.set(key, running);
    else this.#running.delete(key);
  }
}
