import type { FeedFormat } from "../domain/urls.ts";
import type { EncodedDocument } from "./encoded-document.ts";

/** A feed's document and the feed version it holds at least. */
export interface VersionedDocument {
  readonly version: number;
  readonly document: EncodedDocument | null;
}

export interface VersionedFeedDocumentsDeps {
  /** Rendered documents (a FeedDocumentCache of the distribution's own). */
  readonly documents: {
    get(slug: string, format: FeedFormat): Promise<EncodedDocument | null>;
    invalidate(slugs: Iterable<string>): void;
  };
  /** The feed's version as committed in the database (websub_feed_versions). */
  readonly currentVersion: (slug: string) => Promise<number>;
}

/**
 * Feed documents labelled with the feed version they hold, for delivery jobs that need "at
 * least version N" wherever they run: this process may not have heard of a change another
 * process committed, so a version it has not seen yet makes it read the version and render
 * again. Documents rendered after reading version N hold every change up to N.
 */
export class VersionedFeedDocuments {
  readonly #deps: VersionedFeedDocumentsDeps;
  /** The version the held documents of each feed were rendered after. */
  readonly #versions = new Map<string, number>();
  /** Reads of a feed's committed version in flight: the jobs that start at once share one. */
  readonly #reading = new Map<string, Promise<number>>();

  constructor(deps: VersionedFeedDocumentsDeps) {
    this.#deps = deps;
  }

  async atLeast(slug: string, format: FeedFormat, version: number): Promise<VersionedDocument> {
    let held = this.#versions.get(slug) ?? -1;
    if (held < version) {
      const current = await this.#currentVersion(slug);
      // Another job may have rendered a newer one meanwhile: keep that.
      held = this.#versions.get(slug) ?? -1;
      if (held < current) {
        this.#deps.documents.invalidate([slug]);
        this.#versions.set(slug, current);
        held = current;
      }
    }
    return { version: held, document: await this.#deps.documents.get(slug, format) };
  }

  #currentVersion(slug: string): Promise<number> {
    let reading = this.#reading.get(slug);
    if (!reading) {
      reading = this.#deps.currentVersion(slug).finally(() => this.#reading.delete(slug));
      this.#reading.set(slug, reading);
    }
    return reading;
  }
}
