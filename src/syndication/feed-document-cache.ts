import type { Article } from "../domain/article.ts";
import type { Feed } from "../domain/feed.ts";
import type { Clock } from "../domain/ports.ts";
import type { FeedFormat } from "../domain/urls.ts";
import { IMMUTABLE_CACHE_CONTROL } from "./document-answer.ts";
import { documentBytes, type EncodedDocument, encodeDocument } from "./encoded-document.ts";
import type { FeedPaging, FeedUpdate } from "./model.ts";

/** What a feed's documents are rendered from. */
export interface FeedSnapshot {
  readonly feed: Feed;
  readonly articles: readonly Article[];
  /** Public live updates shown as items of their own, newest first. */
  readonly updates?: readonly FeedUpdate[] | undefined;
  /** When the snapshot goes stale by itself: the next scheduled article's or update's time. */
  readonly validUntil: Date | null;
  /** Where the documents live when they are not a feed's (a tag's, an archive page's). */
  readonly links?: { page: string; rss: string; atom: string; json: string } | undefined;
  /** Its place in the feed's archive (RFC 5005): the links it carries. */
  readonly paging?: FeedPaging | undefined;
  /**
   * Documents that never change by themselves (a full archive page): served with a year of
   * `immutable` caching instead of the feed's minute.
   */
  readonly immutable?: boolean | undefined;
}

export interface RenderedDocuments {
  readonly rss: string;
  readonly atom: string;
  readonly json: string;
  /** RSS and Atom for browsers (with the preview script), when they differ from `rss`/`atom`. */
  readonly browser?: { readonly rss: string; readonly atom: string };
  readonly updated: Date;
  /** Each document's `Link` header (WebSub discovery), when it has one. */
  readonly links?: { readonly rss: string; readonly atom: string; readonly json: string };
}

export interface FeedDocumentCacheDeps {
  readonly load: (slug: string) => Promise<FeedSnapshot | undefined>;
  readonly render: (snapshot: FeedSnapshot) => RenderedDocuments;
  readonly clock: Clock;
  readonly onError: (error: unknown, slug: string) => void;
  /** How long "no such feed" is remembered, so unknown slugs cannot hammer the database. */
  readonly missingTtlMs?: number;
  /**
   * Longest a build is reused (default: until a change invalidates it). For runtimes that hear
   * of no other process's changes (Workers); 0 reuses nothing, yet concurrent reads still share
   * one build.
   */
  readonly maxAgeMs?: number;
  /**
   * Keep gzip and brotli copies beside each document (default true). Off behind a CDN that
   * compresses by itself (Workers), where the copies would cost CPU and never be served.
   */
  readonly precompress?: boolean;
  /**
   * Memory for documents, all formats and codings together (default unlimited). Past it, the
   * feeds read least recently are dropped, to be rendered again when next read.
   */
  readonly maxBytes?: number;
  /**
   * Rebuild an invalidated key at once when it had readers (default true: a feed renders on
   * publish, not on its next read). False for archive pages: a change of their feed drops them
   * all, and most of them (the full ones) come out the same, so they wait to be read again.
   */
  readonly rebuildOnInvalidate?: boolean;
}

const MAX_MISSING_REMEMBERED = 1_000;

type Documents = Readonly<Record<FeedFormat, EncodedDocument>>;
type Entry = {
  readonly documents: Documents | null;
  readonly expiresAt: number;
  /** Bytes held by the documents, every coding. */
  readonly bytes: number;
  /** When it was last read, on the cache's own read counter (for least-recently-read eviction). */
  readAt: number;
};

const CONTENT_TYPES: Record<FeedFormat, string> = {
  rss: "application/rss+xml; charset=utf-8",
  atom: "application/atom+xml; charset=utf-8",
  json: "application/feed+json; charset=utf-8",
};

/**
 * Rendered feed documents, kept in memory per feed version.
 *
 * A change (`invalidate`) bumps the feed's generation; the documents are then rebuilt once, and
 * right away when somebody was reading the feed, so the render happens on publish, not per
 * request. Readers never see a version older than the last invalidation: a read during a
 * rebuild waits for it. At most one build per feed runs at a time; changes that arrive during
 * a build cause one more build afterwards, not one per change.
 */
export class FeedDocumentCache {
  readonly #deps: FeedDocumentCacheDeps;
  readonly #entries = new Map<string, Entry>();
  readonly #generations = new Map<string, number>();
  readonly #builds = new Map<string, { generation: number; done: Promise<Entry> }>();
  #bytes = 0;
  #reads = 0;

  constructor(deps: FeedDocumentCacheDeps) {
    this.#deps = deps;
  }

  /** The warm path: a fresh document without any await, or undefined when it must be built. */
  peek(slug: string, format: FeedFormat): EncodedDocument | null | undefined {
    const entry = this.#entries.get(slug);
    if (!entry || entry.expiresAt <= this.#deps.clock.now().getTime()) return undefined;
    entry.readAt = ++this.#reads;
    return entry.documents ? entry.documents[format] : null;
  }

  /** The document, building it if needed; null when there is no such feed. */
  async get(slug: string, format: FeedFormat): Promise<EncodedDocument | null> {
    const peeked = this.peek(slug, format);
    if (peeked !== undefined) return peeked;
    // A change during the build makes its result stale; try again (bounded) for the newer one.
    let entry: Entry | undefined;
    for (let attempt = 0; attempt < 5; attempt++) {
      const generation = this.#generation(slug);
      entry = await this.#build(slug);
      if (this.#generation(slug) === generation) break;
    }
    return entry?.documents ? entry.documents[format] : null;
  }

  /** Marks feeds as changed (after a commit). Feeds with readers are rebuilt immediately. */
  invalidate(slugs: Iterable<string>): void {
    for (const slug of slugs) {
      this.#generations.set(slug, this.#generation(slug) + 1);
      const hadReaders = this.#entries.get(slug)?.documents != null;
      this.#forget(slug);
      if (hadReaders && (this.#deps.rebuildOnInvalidate ?? true)) this.#refreshInBackground(slug);
    }
  }

  /** Marks every feed as changed, e.g. after change notifications may have been missed. */
  invalidateAll(): void {
    this.invalidateWhere(() => true);
  }

  /** Marks as changed every key held or built so far that `changed` picks (archive pages of a feed). */
  invalidateWhere(changed: (key: string) => boolean): void {
    const known = new Set([...this.#entries.keys(), ...this.#generations.keys()]);
    this.invalidate([...known].filter(changed));
  }

  /** Feeds currently held in memory (for tests and diagnostics). */
  get size(): number {
    return this.#entries.size;
  }

  /** Bytes of documents held in memory, every coding (for tests and diagnostics). */
  get bytes(): number {
    return this.#bytes;
  }

  #keep(slug: string, entry: Entry): void {
    this.#forget(slug);
    this.#entries.set(slug, entry);
    this.#bytes += entry.bytes;
    const maxBytes = this.#deps.maxBytes ?? Number.POSITIVE_INFINITY;
    while (this.#bytes > maxBytes && this.#entries.size > 1) {
      let oldest: string | undefined;
      let oldestReadAt = Number.POSITIVE_INFINITY;
      for (const [candidate, { readAt }] of this.#entries) {
        if (candidate !== slug && readAt < oldestReadAt) {
          oldest = candidate;
          oldestReadAt = readAt;
        }
      }
      if (oldest === undefined) break;
      this.#forget(oldest);
    }
  }

  #forget(slug: string): void {
    const entry = this.#entries.get(slug);
    if (!entry) return;
    this.#bytes -= entry.bytes;
    this.#entries.delete(slug);
  }

  #generation(slug: string): number {
    return this.#generations.get(slug) ?? 0;
  }

  #refreshInBackground(slug: string): void {
    this.#build(slug).catch((error) => this.#deps.onError(error, slug));
  }

  #build(slug: string): Promise<Entry> {
    const generation = this.#generation(slug);
    const running = this.#builds.get(slug);
    if (running && running.generation === generation) return running.done;
    // One build at a time: a newer generation waits for the running one, then builds.
    const after = running ? running.done.catch(() => undefined) : Promise.resolve();
    const done = after.then(() => this.#buildNow(slug, generation));
    const build = { generation, done };
    this.#builds.set(slug, build);
    const forget = () => {
      if (this.#builds.get(slug) === build) this.#builds.delete(slug);
    };
    done.then(forget, forget);
    return done;
  }

  async #buildNow(slug: string, generation: number): Promise<Entry> {
    const { load, render, clock } = this.#deps;
    const snapshot = await load(slug);
    const now = clock.now().getTime();
    const maxAgeMs = this.#deps.maxAgeMs ?? Number.POSITIVE_INFINITY;
    let entry: Entry;
    if (!snapshot) {
      entry = {
        documents: null,
        expiresAt: now + Math.min(maxAgeMs, this.#deps.missingTtlMs ?? 5_000),
        bytes: 0,
        readAt: ++this.#reads,
      };
    } else {
      const rendered = render(snapshot);
      const encoding = {
        precompress: this.#deps.precompress ?? true,
        cacheControl: snapshot.immutable ? IMMUTABLE_CACHE_CONTROL : undefined,
      };
      const [rss, atom, json] = await Promise.all([
        encodeDocument(rendered.rss, CONTENT_TYPES.rss, rendered.updated, {
          ...encoding,
          link: rendered.links?.rss,
          forBrowsers: rendered.browser?.rss,
        }),
        encodeDocument(rendered.atom, CONTENT_TYPES.atom, rendered.updated, {
          ...encoding,
          link: rendered.links?.atom,
          forBrowsers: rendered.browser?.atom,
        }),
        encodeDocument(rendered.json, CONTENT_TYPES.json, rendered.updated, {
          ...encoding,
          link: rendered.links?.json,
        }),
      ]);
      entry = {
        documents: { rss, atom, json },
        expiresAt: Math.min(
          snapshot.validUntil?.getTime() ?? Number.POSITIVE_INFINITY,
          now + maxAgeMs,
        ),
        bytes: [rss, atom, json].reduce((sum, document) => sum + documentBytes(document), 0),
        readAt: ++this.#reads,
      };
    }
    // "No such feed" is only remembered while the map is small: made-up slugs cannot grow it.
    const worthKeeping =
      entry.expiresAt > now &&
      (entry.documents !== null || this.#entries.size < MAX_MISSING_REMEMBERED);
    if (this.#generation(slug) === generation && worthKeeping) this.#keep(slug, entry);
    return entry;
  }
}
