import type { Clock } from "../domain/ports.ts";
import { type EncodedDocument, encodeDocument } from "./encoded-document.ts";
import { SharedBuildCache } from "./shared-build-cache.ts";

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

/**
 * Site-wide documents, kept in memory like feed documents (feed-document-cache.ts): built once
 * per change, then answered from memory with their ETag and compressed copies. Any feed change
 * may touch all of them, so `invalidate` drops them all; the next read rebuilds (one build per
 * document at a time, concurrent readers share it; see shared-build-cache.ts). A read never gets
 * a build older than the last invalidation.
 */
export class SiteDocumentCache<Name extends string> {
  readonly #documents: SharedBuildCache<EncodedDocument>;

  constructor(deps: SiteDocumentCacheDeps<Name>) {
    const { builders, clock } = deps;
    this.#documents = new SharedBuildCache({
      now: () => clock.now().getTime(),
      build: async (name) => {
        const built = await builders[name as Name]();
        const document = await encodeDocument(built.text, built.contentType, built.updated, {
          precompress: deps.precompress ?? true,
        });
        const expiresAt = Math.min(
          built.validUntil?.getTime() ?? Number.POSITIVE_INFINITY,
          clock.now().getTime() + (deps.maxAgeMs ?? Number.POSITIVE_INFINITY),
        );
        return { value: document, expiresAt };
      },
    });
  }

  get(name: Name): Promise<EncodedDocument> {
    return this.#documents.get(name);
  }

  /** After any feed or article change (here or announced by another process). */
  invalidate(): void {
    this.#documents.invalidateAll();
  }
}
