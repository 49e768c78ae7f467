import { buildConnector, Dispatcher, Pool, setGlobalDispatcher } from "undici";
import { type AddressGuard, NonPublicAddressError } from "./address-guard.ts";

/** Idle origins whose pools are kept (with their keep-alive connections) beyond those in use. */
const DEFAULT_MAX_IDLE_ORIGINS = 256;

export interface GuardedDispatcherOptions {
  /**
   * How many origins with nothing in flight keep their pool (and keep-alive sockets); the least
   * recently used beyond that are closed when the next request comes. Origins with requests in
   * flight are never closed.
   */
  readonly maxIdleOrigins?: number;
}

/**
 * A connection pool for `fetch` that asks the address guard before every connection: IP
 * literals are judged as they are, names by every address they resolve to at that moment.
 *
 * Fedify's own sender (retries, redirects, the fallback from our direct sender) uses the global
 * `fetch`, and follows an inbox's redirects without checking where they lead, and resolves the
 * inbox's name again when it connects. Checked here, on the connection, a redirect to
 * 169.254.169.254 or a name that turns private after the delivery was checked goes nowhere.
 */
export function guardedDispatcher(
  guard: AddressGuard,
  options: GuardedDispatcherOptions = {},
): OriginPools {
  const connectThroughGuard = buildConnector({ lookup: guard.lookup });
  const connect: buildConnector.connector = (connectOptions, callback) => {
    const verdict = guard.checkLiteral(connectOptions.hostname);
    if (verdict && !verdict.ok) {
      callback(new NonPublicAddressError(verdict), null);
      return;
    }
    connectThroughGuard(connectOptions, callback);
  };
  return new OriginPools({ connect }, options.maxIdleOrigins ?? DEFAULT_MAX_IDLE_ORIGINS);
}

/**
 * undici's `Agent`, one `Pool` per origin, minus its leak: the Agent (undici 6) never forgets
 * an origin, and each pool holds ~20 KB (a 2,048-slot request queue, its clients, their
 * parsers) for good. A fan-out to 10,000 servers kept 10,000 pools: ~200 MB, past the server's
 * 192 MB heap. Here a pool goes once it is idle and either its connections closed (keep-alive
 * ran out) or more than `maxIdleOrigins` other idle origins were used after it.
 */
export class OriginPools extends Dispatcher {
  readonly #poolOptions: Pool.Options;
  readonly #maxIdle: number;
  /** By origin, least recently used first. */
  readonly #pools = new Map<string, Pool>();
  #closed = false;

  constructor(poolOptions: Pool.Options, maxIdleOrigins: number) {
    super();
    this.#poolOptions = poolOptions;
    this.#maxIdle = Math.max(0, maxIdleOrigins);
  }

  /** Origins that have a pool now (in use or idle). */
  get origins(): number {
    return this.#pools.size;
  }

  override dispatch(
    options: Dispatcher.DispatchOptions,
    handler: Dispatcher.DispatchHandlers,
  ): boolean {
    if (this.#closed) throw new Error("the dispatcher is closed");
    const key = String(options.origin);
    let pool = this.#pools.get(key);
    if (pool) {
      this.#pools.delete(key); // most recently used last
    } else {
      pool = this.#open(key, options.origin as string | URL);
    }
    this.#pools.set(key, pool);
    const accepted = pool.dispatch(options, handler);
    if (this.#pools.size > this.#maxIdle) this.#trim();
    return accepted;
  }

  #open(key: string, origin: string | URL): Pool {
    const pool = new Pool(origin, this.#poolOptions);
    const forward =
      (event: string) =>
      (origin: URL, targets: readonly Dispatcher[] = [], ...rest: unknown[]): void => {
        (this.emit as (event: string, ...args: unknown[]) => boolean)(
          event,
          origin,
          [this, ...targets],
          ...rest,
        );
      };
    const evictIfIdle = () => {
      // After undici has updated the pool's counts.
      queueMicrotask(() => {
        if (this.#pools.get(key) !== pool) return;
        const { connected, size } = pool.stats;
        if (connected === 0 && size === 0) this.#evict(key, pool);
      });
    };
    const forwardThenEvict =
      (event: string) =>
      (origin: URL, targets: readonly Dispatcher[], error: Error): void => {
        forward(event)(origin, targets, error);
        evictIfIdle();
      };
    pool
      .on("drain", forward("drain"))
      .on("connect", forward("connect"))
      .on("disconnect", forwardThenEvict("disconnect"))
      .on("connectionError", forwardThenEvict("connectionError"));
    return pool;
  }

  /** Closes the least recently used idle pools until at most `maxIdle` pools are idle. */
  #trim(): void {
    let busy = 0;
    for (const pool of this.#pools.values()) if (pool.stats.size > 0) busy++;
    let excess = this.#pools.size - busy - this.#maxIdle;
    for (const [key, pool] of this.#pools) {
      if (excess <= 0) break;
      if (pool.stats.size > 0) continue;
      this.#evict(key, pool);
      excess--;
    }
  }

  #evict(key: string, pool: Pool): void {
    this.#pools.delete(key);
    pool.close().catch(() => {});
  }

  override close(): Promise<void>;
  override close(callback: () => void): void;
  override close(callback?: () => void): Promise<void> | void {
    this.#closed = true;
    const pools = [...this.#pools.values()];
    this.#pools.clear();
    const done = Promise.all(pools.map((pool) => pool.close())).then(() => {});
    if (callback) done.then(callback, callback);
    else return done;
  }

  override destroy(): Promise<void>;
  override destroy(err: Error | null): Promise<void>;
  override destroy(callback: () => void): void;
  override destroy(err: Error | null, callback: () => void): void;
  override destroy(
    errOrCallback?: Error | null | (() => void),
    callback?: () => void,
  ): Promise<void> | void {
    const err = typeof errOrCallback === "function" ? null : (errOrCallback ?? null);
    const cb = typeof errOrCallback === "function" ? errOrCallback : callback;
    this.#closed = true;
    const pools = [...this.#pools.values()];
    this.#pools.clear();
    const done = Promise.all(pools.map((pool) => pool.destroy(err))).then(() => {});
    if (cb) done.then(cb, cb);
    else return done;
  }
}

/** Node only: every `fetch` in this process goes through `guardedDispatcher(guard)`. */
export function guardGlobalFetch(guard: AddressGuard): void {
  setGlobalDispatcher(guardedDispatcher(guard));
}
