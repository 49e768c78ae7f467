import { type Block, BlockSet } from "./blocks.ts";

/**
 * The blocks as one in-memory set, so that every inbox POST and every delivery is checked
 * without a query: loaded once, reloaded `ttlMs` after (other processes' blocks are seen that
 * late at most), and at once after a block made here (`invalidate`). One load at a time; while
 * the database is away, the last set keeps answering.
 */
export class BlockList {
  readonly #load: () => Promise<Block[]>;
  readonly #ttlMs: number;
  readonly #now: () => number;
  #set: BlockSet | undefined;
  #loadedAt = 0;
  #stale = true;
  #loading: Promise<BlockSet> | undefined;

  constructor(load: () => Promise<Block[]>, options: { ttlMs?: number; now?: () => number } = {}) {
    this.#load = load;
    this.#ttlMs = options.ttlMs ?? 5_000;
    this.#now = options.now ?? Date.now;
  }

  async current(): Promise<BlockSet> {
    if (this.#set && !this.#stale && this.#now() - this.#loadedAt < this.#ttlMs) return this.#set;
    this.#loading ??= this.#reload().finally(() => {
      this.#loading = undefined;
    });
    return this.#loading;
  }

  /** Blocks changed here: the next check reloads them. */
  invalidate(): void {
    this.#stale = true;
  }

  async #reload(): Promise<BlockSet> {
    const startedAt = this.#now();
    // A change made while this load runs marks it stale again, so the next check reloads.
    this.#stale = false;
    try {
      const set = new BlockSet(await this.#load());
      this.#set = set;
      this.#loadedAt = startedAt;
      return set;
    } catch (error) {
      // The last set answers until the next try, one TTL on: an outage costs no query per check.
      this.#loadedAt = startedAt;
      if (this.#set) return this.#set;
      this.#stale = true;
      throw error;
    }
  }
}
