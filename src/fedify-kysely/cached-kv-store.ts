import type { KvKey, KvStore, KvStoreListEntry, KvStoreSetOptions } from "@fedify/fedify";

/** Keys under `prefix` may be served from this process's memory for up to `ttlMs`. */
export interface CachedKeyFamily {
  readonly prefix: KvKey;
  readonly ttlMs: number;
  /** How long "no such key" may be served from memory (default: `ttlMs`). */
  readonly absentTtlMs?: number;
}

export interface CachedKvStoreOptions {
  readonly families: readonly CachedKeyFamily[];
  /** Most entries kept; the oldest go first (default 20,000). */
  readonly maxEntries?: number;
  readonly now?: () => number;
}

interface Entry {
  /** JSON of the value (`undefined`: known to be absent), compared to skip unchanged writes. */
  readonly json: string | undefined;
  readonly until: number;
}

/**
 * A read-through cache in front of another key–value store, for the few key families Fedify
 * reads on every delivery: the HTTP-signature spec each server accepted (read and then written
 * back unchanged, per delivery) and each server's circuit-breaker state (read before and after
 * every delivery, and almost always absent). Without it each delivery costs four round trips
 * to PostgreSQL on top of the queue's own.
 *
 * Writes go through to the store at once (a `set` that changes nothing is skipped), so this
 * process always reads its own writes. Another process's writes show up here after at most a
 * family's TTL: short for the circuit breaker (a few more attempts at a host that just went
 * down), longer for the signature spec (a stale spec only costs one retried signature). Keys
 * outside the families, `cas` and `list` are untouched.
 *
 * A fan-out reaches each server once, so per-server state is read once per delivery: what makes
 * the cache pay is remembering that a server has *no* circuit-breaker state (it is healthy,
 * the common case) for longer than a state that exists.
 */
export class CachedKvStore implements KvStore {
  readonly #inner: KvStore;
  readonly #families: readonly CachedKeyFamily[];
  readonly #maxEntries: number;
  readonly #now: () => number;
  readonly #entries = new Map<string, Entry>();

  constructor(inner: KvStore, options: CachedKvStoreOptions) {
    this.#inner = inner;
    this.#families = options.families;
    this.#maxEntries = options.maxEntries ?? 20_000;
    this.#now = options.now ?? Date.now;
  }

  async get<T = unknown>(key: KvKey): Promise<T | undefined> {
    const family = this.#familyOf(key);
    if (!family) return this.#inner.get<T>(key);
    const id = JSON.stringify(key);
    const cached = this.#fresh(id);
    // A copy, so a caller that mutates what it got cannot change what others get.
    if (cached) return cached.json === undefined ? undefined : (JSON.parse(cached.json) as T);
    const value = await this.#inner.get<T>(key);
    this.#remember(id, value, family);
    return value;
  }

  async set(key: KvKey, value: unknown, options?: KvStoreSetOptions): Promise<void> {
    const family = this.#familyOf(key);
    if (!family) return this.#inner.set(key, value, options);
    const id = JSON.stringify(key);
    // A write with its own TTL also extends the stored expiry: never skip that one.
    if (options?.ttl === undefined && this.#fresh(id)?.json === JSON.stringify(value)) return;
    this.#entries.delete(id);
    await this.#inner.set(key, value, options);
    this.#remember(id, value, family);
  }

  async delete(key: KvKey): Promise<void> {
    this.#entries.delete(JSON.stringify(key));
    await this.#inner.delete(key);
  }

  async cas(
    key: KvKey,
    expectedValue: unknown,
    newValue: unknown,
    options?: KvStoreSetOptions,
  ): Promise<boolean> {
    if (!this.#inner.cas) throw new TypeError("the underlying store has no cas()");
    // Compare-and-swap must see the store, not this cache: forget the key either way.
    this.#entries.delete(JSON.stringify(key));
    return this.#inner.cas(key, expectedValue, newValue, options);
  }

  list(prefix?: KvKey): AsyncIterable<KvStoreListEntry> {
    if (!this.#inner.list) throw new TypeError("the underlying store has no list()");
    return this.#inner.list(prefix);
  }

  #familyOf(key: KvKey): CachedKeyFamily | undefined {
    return this.#families.find(
      (family) =>
        family.prefix.length < key.length && family.prefix.every((part, i) => part === key[i]),
    );
  }

  #fresh(id: string): Entry | undefined {
    const entry = this.#entries.get(id);
    if (entry === undefined) return undefined;
    if (entry.until > this.#now()) return entry;
    this.#entries.delete(id);
    return undefined;
  }

  #remember(id: string, value: unknown, family: CachedKeyFamily): void {
    const ttlMs = value === undefined ? (family.absentTtlMs ?? family.ttlMs) : family.ttlMs;
    if (this.#entries.size >= this.#maxEntries) {
      const oldest = this.#entries.keys().next();
      if (!oldest.done) this.#entries.delete(oldest.value);
    }
    this.#entries.set(id, {
      json: value === undefined ? undefined : JSON.stringify(value),
      until: this.#now() + ttlMs,
    });
  }
}
