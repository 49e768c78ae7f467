/**
 * Rendered HTML of pages that many anonymous readers ask for and few writes change (the front
 * page), kept briefly in memory. Every change to a feed in this process clears it, and so does
 * one announced by another process; a page also ends when its next embargoed story goes
 * public (`validUntil`), and the time limit covers the rest.
 */
export class RenderedPageCache {
  readonly #entries = new Map<string, { readonly html: string; readonly expiresAt: number }>();
  readonly #ttlMs: number;
  readonly #maxEntries: number;
  readonly #now: () => number;

  constructor(options: { ttlMs?: number; maxEntries?: number; now?: () => number } = {}) {
    this.#ttlMs = options.ttlMs ?? 30_000;
    this.#maxEntries = options.maxEntries ?? 100;
    this.#now = options.now ?? Date.now;
  }

  get(key: string): string | undefined {
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt > this.#now()) return entry.html;
    this.#entries.delete(key);
    return undefined;
  }

  set(key: string, html: string, validUntil?: Date | null): void {
    // Oldest first out: a Map iterates in insertion order.
    if (!this.#entries.has(key) && this.#entries.size >= this.#maxEntries) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
    const expiresAt = Math.min(
      this.#now() + this.#ttlMs,
      validUntil?.getTime() ?? Number.POSITIVE_INFINITY,
    );
    this.#entries.set(key, { html, expiresAt });
  }

  clear(): void {
    this.#entries.clear();
  }
}
