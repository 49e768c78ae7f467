import type { Clock } from "../domain/ports.ts";
import { type EncodedDocument, encodeDocument } from "./encoded-document.ts";

/** A document about the whole site (OPML, sitemaps), as its builder returns it. */
export interface SiteDocument {
  readonly text: string;
  readonly contentType: string;
  /** Its `Last-Modified`. */
  readonly updated: Date;
  /** When it goes stale by itself (a scheduled article's time, the news window moving on). */
  readonly validUntil: Date | null;
}

export interface SiteDocumentCacheDeps<Name extends string> {
  /** How each document is read and rendered (a database read and a pure render). */
  readonly builders: Readonly<Record<Name, () => Promise<SiteDocument>>>;
  readonly clock: Clock;
  /** Longest a build is reused (as FeedDocumentCacheDeps.maxAgeMs; 0 on Workers). */
  readonly maxAgeMs?: number | undefined;
  /** Keep gzip and brotli copies (default true). */
  readonly precompress?: boolean | undefined;
}

type Entry = { readonly document: EncodedDocument; readonly expiresAt: number };

/**
 * Site-wide documents, kept in memory like feed documents (feed-document-cache.ts): built once
 * per change, then answered from memory with their ETag and compressed copies. Any feed change
 * may touch all of them, so `invalidate` drops them all; the next read rebuilds (one build per
 * document at a time, concurrent readers share it). A read never gets a build older than the
 * last invalidation.
 */
export class SiteDocumentCache<Name extends string> {
  readonly #deps: SiteDocumentCacheDeps<Name>;
  readonly #entries = new Map<Name, Entry>();
  readonly #builds = new Map<Name, { generation: number; done: Promise<EncodedDocument> }>();
  #generation = 0;

  constructor(deps: SiteDocumentCacheDeps<Name>) {
    this.#deps = deps;
  }

  async get(name: Name): Promise<EncodedDocument> {
    const entry = this.#entries.get(name);
    if (entry && entry.expiresAt > this.#deps.clock.now().getTime()) return entry.document;
    // A change during the build makes its result stale; try again (bounded) for the newer one.
    let document: EncodedDocument | undefined;
    for (let attempt = 0; attempt < 5; attempt++) {
      const generation = this.#generation;
      document = await this.#build(name, generation);
      if (this.#generation === generation) break;
    }
    return document as EncodedDocument;
  }

  /** After any feed or article change (here or announced by another process). */
  invalidate(): void {
    this.#generation++;
    this.#entries.clear();
  }

  #build(name: Name, generation: number): Promise<EncodedDocument> {
    const running = this.#builds.get(name);
    if (running && running.generation === generation) return running.done;
    const done = this.#buildNow(name, generation);
    const build = { generation, done };
    this.#builds.set(name, build);
    const forget = () => {
      if (this.#builds.get(name) === build) this.#builds.delete(name);
    };
    done.then(forget, forget);
    return done;
  }

  async #buildNow(name: Name, generation: number): Promise<EncodedDocument> {
    const { builders, clock } = this.#deps;
    const built = await builders[name]();
    const document = await encodeDocument(built.text, built.contentType, built.updated, {
      precompress: this.#deps.precompress ?? true,
    });
    const now = clock.now().getTime();
    const expiresAt = Math.min(
      built.validUntil?.getTime() ?? Number.POSITIVE_INFINITY,
      now + (this.#deps.maxAgeMs ?? Number.POSITIVE_INFINITY),
    );
    if (this.#generation === generation && expiresAt > now) {
      this.#entries.set(name, { document, expiresAt });
    }
    return document;
  }
}
