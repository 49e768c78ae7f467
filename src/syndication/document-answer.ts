import { FEED_SLUG_PATTERN } from "../domain/feed.ts";
import { FEED_FORMATS, type FeedFormat } from "../domain/urls.ts";
import type { EncodedDocument } from "./encoded-document.ts";

/**
 * How a feed document is answered, whatever carries the request: the Hono route
 * (src/http/feed-documents.routes.ts) and the Node fast path (src/entries/node/feed-fast-path.ts)
 * give the same status, headers and bytes through this.
 */

const CACHE_CONTROL = "public, max-age=60, stale-while-revalidate=300";

/**
 * A full archive page's: it changes only when one of its own articles is edited or deleted
 * (src/domain/archive.ts), so readers and caches keep it for a year without asking again.
 */
export const IMMUTABLE_CACHE_CONTROL = "public, max-age=31536000, immutable";

/**
 * A browser that opens a feed runs our XSLT and preview script over it (see
 * docs/adr/0001-styled-feeds.md), so a feed is a page too: no type sniffing, and a policy that
 * lets it load only our own stylesheet and script (XSLT counts as script), whatever an item holds.
 */
export const FEED_DOCUMENT_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "x-content-type-options": "nosniff",
  "content-security-policy": [
    "default-src 'none'",
    "style-src 'self'",
    "script-src 'self'",
    "img-src 'self' https:",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join("; "),
};

/** `world.rss` -> { slug: "world", format: "rss" }; undefined for anything else. */
export function parseFeedFile(file: string): { slug: string; format: FeedFormat } | undefined {
  const dot = file.lastIndexOf(".");
  const slug = file.slice(0, dot);
  const format = file.slice(dot + 1) as FeedFormat;
  if (dot < 1 || !FEED_FORMATS.includes(format) || !FEED_SLUG_PATTERN.test(slug)) return undefined;
  return { slug, format };
}

/** What to send for a document: the same answer for Hono and for the Node fast path. */
export interface DocumentAnswer {
  readonly status: 200 | 304;
  /** Shared by every answer of its kind: read only. */
  readonly headers: Readonly<Record<string, string>>;
  /** null for 304 and HEAD. */
  readonly body: Uint8Array<ArrayBuffer> | null;
}

/**
 * What a kind of document is sent with, besides its bytes and validators. Unset: a feed
 * document's (feeds' cache lifetime and policy, `Vary: Accept` for the XML ones).
 */
export interface ServingPolicy {
  readonly cacheControl: string;
  readonly vary: string;
  readonly securityHeaders: Readonly<Record<string, string>>;
}

export function answerDocument(
  method: string,
  header: (name: string) => string | null,
  served: EncodedDocument,
  policy?: ServingPolicy,
): DocumentAnswer {
  const browser = isBrowser(header("accept"));
  const document = (browser && served.forBrowsers) || served;
  if (isNotModified(header, document)) {
    return { status: 304, headers: answerHeaders(document, policy, browser, null), body: null };
  }
  const { coding, body } = encodedBody(document, chooseCoding(header("accept-encoding")));
  const headers = answerHeaders(document, policy, browser, coding);
  return { status: 200, headers, body: method === "HEAD" ? null : body };
}

/** The bytes sent for a coding: its precompressed copy, else the plain ones (and so "identity"). */
function encodedBody(
  document: EncodedDocument,
  wanted: Coding,
): { coding: Coding; body: Uint8Array<ArrayBuffer> } {
  const compressed = wanted === "br" ? document.brotli : wanted === "gzip" ? document.gzip : null;
  return compressed
    ? { coding: wanted, body: compressed }
    : { coding: "identity", body: document.identity };
}

/**
 * The headers of each kind of answer of a document, built on its first request and kept with it
 * (a document never changes; a new version is a new object): a warm request only picks them, as
 * it picks the bytes. Per policy, eight kinds: reader or browser, times 304 or each coding.
 */
const headersOfDocuments = new WeakMap<
  EncodedDocument,
  Map<ServingPolicy | undefined, (Readonly<Record<string, string>> | undefined)[]>
>();
const KIND_OF_CODING = { identity: 0, gzip: 1, br: 2 } as const;

function answerHeaders(
  document: EncodedDocument,
  policy: ServingPolicy | undefined,
  browser: boolean,
  coding: Coding | null,
): Readonly<Record<string, string>> {
  let byPolicy = headersOfDocuments.get(document);
  if (!byPolicy) {
    byPolicy = new Map();
    headersOfDocuments.set(document, byPolicy);
  }
  let kinds = byPolicy.get(policy);
  if (!kinds) {
    kinds = [];
    byPolicy.set(policy, kinds);
  }
  const kind = (browser ? 4 : 0) + (coding === null ? 3 : KIND_OF_CODING[coding]);
  const headers = kinds[kind] ?? buildHeaders(document, policy, browser, coding);
  kinds[kind] = headers;
  return headers;
}

function buildHeaders(
  document: EncodedDocument,
  policy: ServingPolicy | undefined,
  browser: boolean,
  coding: Coding | null,
): Readonly<Record<string, string>> {
  const xml = document.contentType.includes("+xml");
  const headers: Record<string, string> = {
    "content-type": contentTypeFor(browser, document.contentType),
    etag: document.etag,
    "last-modified": document.lastModified,
    "cache-control": policy?.cacheControl ?? document.cacheControl ?? CACHE_CONTROL,
    vary: policy?.vary ?? (xml ? "Accept, Accept-Encoding" : "Accept-Encoding"),
    ...(policy?.securityHeaders ?? FEED_DOCUMENT_SECURITY_HEADERS),
  };
  if (document.link) headers.link = document.link;
  if (coding === null) return Object.freeze(headers);
  if (coding !== "identity") headers["content-encoding"] = coding;
  headers["content-length"] = String(encodedBody(document, coding).body.byteLength);
  return Object.freeze(headers);
}

/**
 * Chromium shows `application/rss+xml` and `application/atom+xml` as plain text and never applies
 * their `<?xml-stylesheet?>`, so a browser opening a feed (it asks for `text/html`) gets the same
 * bytes as `application/xml`, which it styles. Feed readers do not ask for HTML and keep the
 * registered type. A cache in front of this must keep the two apart (the answers vary on Accept).
 */
export function documentContentType(accept: string | null, registered: string): string {
  return contentTypeFor(isBrowser(accept), registered);
}

function contentTypeFor(browser: boolean, registered: string): string {
  return browser && registered.includes("+xml") ? "application/xml; charset=utf-8" : registered;
}

/**
 * A browser navigating asks for `text/html`; feed readers and validators do not (they send their
 * feed types or `*\/*`). Browsers get the XML as `application/xml` and the variant with the
 * preview script; a cache in front must keep the two apart (the answers vary on Accept).
 */
export function isBrowser(accept: string | null): boolean {
  return accept !== null && /text\/html/i.test(accept);
}

/** RFC 9110 §13.2.2: If-None-Match wins; If-Modified-Since only counts without it. */
export function isNotModified(
  header: (name: string) => string | null,
  document: Pick<EncodedDocument, "etag" | "lastModifiedMs">,
): boolean {
  const ifNoneMatch = header("if-none-match");
  if (ifNoneMatch !== null) {
    if (ifNoneMatch.trim() === "*") return true;
    return ifNoneMatch.split(",").some((tag) => stripWeak(tag.trim()) === document.etag);
  }
  const ifModifiedSince = header("if-modified-since");
  if (ifModifiedSince !== null) {
    const since = Date.parse(ifModifiedSince);
    return !Number.isNaN(since) && document.lastModifiedMs <= since;
  }
  return false;
}

function stripWeak(tag: string): string {
  return tag.startsWith("W/") ? tag.slice(2) : tag;
}

type Coding = "br" | "gzip" | "identity";

/** Picks the best coding the client accepts (q > 0), preferring brotli, then gzip. */
export function chooseCoding(acceptEncoding: string | null): Coding {
  if (!acceptEncoding) return "identity";
  let br = false;
  let gzip = false;
  for (const part of acceptEncoding.split(",")) {
    const [name = "", ...params] = part.trim().toLowerCase().split(";");
    const q = params.find((p) => p.trim().startsWith("q="));
    if (q !== undefined && Number(q.trim().slice(2)) <= 0) continue;
    if (name === "br") br = true;
    else if (name === "gzip" || name === "x-gzip") gzip = true;
    else if (name === "*") br = gzip = true;
  }
  return br ? "br" : gzip ? "gzip" : "identity";
}
