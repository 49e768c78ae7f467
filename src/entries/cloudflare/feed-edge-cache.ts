import { FEED_FORMATS, type FeedFormat, feedDocumentUrl } from "../../domain/urls.ts";
import {
  documentContentType,
  isBrowser,
  isNotModified,
  parseFeedFile,
} from "../../syndication/document-answer.ts";

/** The key suffix of the variant browsers get (RSS and Atom with the preview script). */
const BROWSER_VARIANT = "?variant=browser";

/** Headers a 304 repeats from the full answer (RFC 9110 §15.4.5). */
const NOT_MODIFIED_HEADERS = ["cache-control", "etag", "last-modified", "vary"];

export interface FeedEdgeCacheOptions {
  /** The Workers Cache API cache (`caches.default`). */
  readonly cache: Cache;
  readonly publicUrl: string;
}

/**
 * Feed documents in the Cloudflare Cache API, so readers polling from everywhere are answered
 * by the data centre they reach, not by PostgreSQL. Entries are keyed by the document's public
 * URL (whatever host or query the request came with), stored as the app answered them (for
 * `max-age`, 60 s), and deleted after every change to their feed (`purge`).
 *
 * The Cache API is per data centre: `purge` clears the one the write ran in; elsewhere a copy
 * lives out its `max-age`, the staleness readers are already told to accept.
 */
export class FeedEdgeCache {
  readonly #cache: Cache;
  readonly #publicUrl: string;

  constructor(options: FeedEdgeCacheOptions) {
    this.#cache = options.cache;
    this.#publicUrl = options.publicUrl;
  }

  /** The cache key of a feed document request, or undefined when it is not one. */
  keyOf(request: Request): string | undefined {
    if (request.method !== "GET" && request.method !== "HEAD") return undefined;
    const { pathname } = new URL(request.url);
    if (!pathname.startsWith("/feeds/")) return undefined;
    const target = parseFeedFile(pathname.slice("/feeds/".length));
    if (!target) return undefined;
    const url = feedDocumentUrl(this.#publicUrl, target.slug, target.format);
    return target.format !== "json" && isBrowser(request.headers.get("accept"))
      ? `${url}${BROWSER_VARIANT}`
      : url;
  }

  /**
   * Answers a feed document request (`key` from `keyOf`) from the cache, or from `origin` and
   * stores that answer (`defer` keeps the invocation alive for the write).
   */
  async serve(
    request: Request,
    key: string,
    origin: (request: Request) => Promise<Response>,
    defer: (work: Promise<unknown>) => void,
  ): Promise<Response> {
    let stored = await this.#cache.match(key);
    if (!stored) {
      // The full, uncompressed document with its registered type: the stored copy must answer
      // every client (`answer` adapts the type for browsers), and the edge compresses for each
      // one (a pre-compressed body would be compressed twice).
      // Browsers' variant is asked for as a browser would (`text/html`).
      const headers = new Headers(request.headers);
      for (const name of ["accept", "accept-encoding", "if-none-match", "if-modified-since"]) {
        headers.delete(name);
      }
      if (key.endsWith(BROWSER_VARIANT)) headers.set("accept", "text/html");
      const fresh = await origin(new Request(request.url, { method: "GET", headers }));
      if (fresh.status !== 200) return fresh;
      defer(this.#cache.put(key, fresh.clone()));
      stored = fresh;
    }
    return answer(request, stored);
  }

  /** Deletes every format (and browsers' variant) of these feeds from this data centre's cache. */
  async purge(slugs: readonly string[]): Promise<void> {
    const keys = slugs.flatMap((slug) =>
      FEED_FORMATS.flatMap((format: FeedFormat) => {
        const url = feedDocumentUrl(this.#publicUrl, slug, format);
        return format === "json" ? [url] : [url, `${url}${BROWSER_VARIANT}`];
      }),
    );
    await Promise.all(keys.map((key) => this.#cache.delete(key)));
  }
}

/**
 * The stored answer, or 304 for a matching conditional request, or headers only for HEAD; with
 * the content type the app would give this client (browsers get XML feeds as application/xml).
 */
function answer(request: Request, stored: Response): Response {
  const etag = stored.headers.get("etag") ?? "";
  const lastModifiedMs = Date.parse(stored.headers.get("last-modified") ?? "");
  const validators = {
    etag,
    lastModifiedMs: Number.isNaN(lastModifiedMs) ? Number.POSITIVE_INFINITY : lastModifiedMs,
  };
  if (etag && isNotModified((name) => request.headers.get(name), validators)) {
    const headers = new Headers();
    for (const name of NOT_MODIFIED_HEADERS) {
      const value = stored.headers.get(name);
      if (value !== null) headers.set(name, value);
    }
    return new Response(null, { status: 304, headers });
  }
  const registered = stored.headers.get("content-type") ?? "";
  const contentType = documentContentType(request.headers.get("accept"), registered);
  if (contentType === registered) {
    return request.method === "HEAD" ? new Response(null, stored) : stored;
  }
  const headers = new Headers(stored.headers);
  headers.set("content-type", contentType);
  return new Response(request.method === "HEAD" ? null : stored.body, {
    status: stored.status,
    headers,
  });
}
