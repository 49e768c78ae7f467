/** What one build produced, and how long it may be reused. */
export interface Built<V> {
  readonly value: V;
  /** When it must be built again (epoch ms); at or before now, it is not kept at all. */
  readonly expiresAt: number;
  /** The changes that drop it (`invalidateTags`): an article page's feeds, for instance. */
  readonly tags?: readonly string[] | undefined;
  /** Memory it holds, counted against `maxBytes`. */
  readonly bytes?: number | undefined;
}

export interface SharedBuildCacheDeps<V> {
  /** Reads and renders one key's value (a database read and a render, typically). */
  readonly build: (key: string) => Promise<Built<V>>;
  /** The app's clock, so an embargo lifting on a test's clock ends an entry too. */
  readonly now: () => number;
  /** Memory for values (default unlimited); past it the entries read least recently go. */
  readonly maxBytes?: number | undefined;
}

type Running<V> = {
  readonly startedAt: number;
  readonly done: Promise<Built<V>>;
  /** `stale`: its key was invalidated while it ran (`invalidateKeys`). */
  readonly flags: { stale: boolean };
};

/** Builds of a key that saw changes while they ran are tried again, up to this many times. */
const MAX_ATTEMPTS = 5;

/**
 * Values built once per state and then served from memory, keyed by a string; the core of the
 * site documents' and the article pages' caches.
 *
 * Concurrent misses of a key share one build (single flight): a thousand readers arriving at
 * once cost one read and one render. A reader never gets a build older than the last change that
 * concerns it: a change bumps an epoch, a build started before it is not joined by later readers,
 * and its result is kept (and returned) only if no change to any of its tags came in meanwhile.
 */
export class SharedBuildCache<V> {
  readonly #deps: SharedBuildCacheDeps<V>;
  /** In order of last read, least recent first (a Map iterates in insertion order). */
  readonly #entries = new Map<string, Built<V>>();
  /** Per key, the builds in progress, the newest last (an older one may outlive a change). */
  readonly #running = new Map<string, Running<V>[]>();
  /** Bumped by every change; builds remember the epoch they started in. */
  #epoch = 0;
  #allChangedAt = 0;
  readonly #tagChangedAt = new Map<string, number>();
  #bytes = 0;

  constructor(deps: SharedBuildCacheDeps<V>) {
    this.#deps = deps;
  }

  /** The warm path: a fresh value without any await, or undefined when it must be built. */
  peek(key: string): V | undefined {
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    this.#entries.delete(key);
    if (entry.expiresAt <= this.#deps.now()) {
      this.#bytes -= entry.bytes ?? 0;
      return undefined;
    }
    this.#entries.set(key, entry);
    return entry.value;
  }

  /** The value, built (or the running build joined) when there is no fresh one. */
  async get(key: string): Promise<V> {
    const fresh = this.peek(key);
    if (fresh !== undefined) return fresh;
    for (let attempt = 1; ; attempt++) {
      const running = this.#join(key);
      const built = await running.done;
      if (!this.#outdated(running, built.tags) || attempt >= MAX_ATTEMPTS) {
        return built.value;
      }
    }
  }

  /**
   * The value of the build in progress that a reader arriving now would join, or undefined
   * when none is (this starts no build of its own: an unknown key costs nothing here).
   */
  building(key: string): Promise<V> | undefined {
    return this.#joinable(key) ? this.get(key) : undefined;
  }

  /** Drops every value tagged with any of these (after a change to them, here or elsewhere). */
  invalidateTags(tags: Iterable<string>): void {
    const epoch = ++this.#epoch;
    const changed = new Set(tags);
    for (const tag of changed) this.#tagChangedAt.set(tag, epoch);
    for (const [key, entry] of this.#entries) {
      if (entry.tags?.some((tag) => changed.has(tag))) this.#forget(key);
    }
  }

  /** Drops these keys' values (a change that concerns them alone). */
  invalidateKeys(keys: Iterable<string>): void {
    ++this.#epoch;
    for (const key of keys) {
      // Marked on the builds themselves, so that nothing is remembered of keys at rest.
      for (const running of this.#running.get(key) ?? []) running.flags.stale = true;
      this.#forget(key);
    }
  }

  /** Drops every value. */
  invalidateAll(): void {
    this.#allChangedAt = ++this.#epoch;
    this.#entries.clear();
    this.#bytes = 0;
  }

  /** Values held in memory (for tests and diagnostics). */
  get size(): number {
    return this.#entries.size;
  }

  /** Bytes of the values held, as their builds counted them (for tests and diagnostics). */
  get bytes(): number {
    return this.#bytes;
  }

  /** The newest build of the key, if it started after the last change (readers may join it). */
  #joinable(key: string): Running<V> | undefined {
    const newest = this.#running.get(key)?.at(-1);
    // A build started before a change may miss it: later readers start their own.
    return newest && newest.startedAt === this.#epoch && !newest.flags.stale ? newest : undefined;
  }

  #join(key: string): Running<V> {
    const joinable = this.#joinable(key);
    if (joinable) return joinable;
    const builds = this.#running.get(key) ?? [];
    const startedAt = this.#epoch;
    const flags = { stale: false };
    const done = this.#deps.build(key).then((built) => {
      if (!this.#outdated({ startedAt, flags }, built.tags) && built.expiresAt > this.#deps.now()) {
        this.#keep(key, built);
      }
      return built;
    });
    const build: Running<V> = { startedAt, done, flags };
    this.#running.set(key, [...builds, build]);
    const forget = () => {
      const left = (this.#running.get(key) ?? []).filter((running) => running !== build);
      if (left.length > 0) this.#running.set(key, left);
      else this.#running.delete(key);
    };
    done.then(forget, forget);
    return build;
  }

  /** Whether a change that concerns this build's result came in after it started. */
  #outdated(
    build: Pick<Running<V>, "startedAt" | "flags">,
    tags: readonly string[] | undefined,
  ): boolean {
    if (build.flags.stale || this.#allChangedAt > build.startedAt) return true;
    return (tags ?? []).some((tag) => (this.#tagChangedAt.get(tag) ?? 0) > build.startedAt);
  }

  #keep(key: string, built: Built<V>): void {
    this.#forget(key);
    this.#entries.set(key, built);
    this.#bytes += built.bytes ?? 0;
    const maxBytes = this.#deps.maxBytes ?? Number.POSITIVE_INFINITY;
    for (const oldest of this.#entries.keys()) {
      if (this.#bytes <= maxBytes || oldest === key) break;
      this.#forget(oldest);
    }
  }

  #forget(key: string): void {
    const entry = this.#entries.get(key);
    if (!entry) return;
    this.#bytes -= entry.bytes ?? 0;
    this.#entries.delete(key);
  }
}
