import { promisify } from "node:util";
import { brotliCompress, gzip, constants as zlib } from "node:zlib";

const gzipAsync = promisify(gzip);
const brotliAsync = promisify(brotliCompress);

/**
 * One feed document ready to serve: the bytes, their pre-compressed copies and validators.
 * Built once per feed version so a warm request only picks bytes and headers.
 */
export interface EncodedDocument {
  readonly identity: Uint8Array<ArrayBuffer>;
  /** null when not precompressed (behind a CDN that compresses, e.g. Cloudflare's edge). */
  readonly gzip: Uint8Array<ArrayBuffer> | null;
  readonly brotli: Uint8Array<ArrayBuffer> | null;
  /** Strong validator of the content (the same for every content coding of it). */
  readonly etag: string;
  readonly lastModified: string;
  readonly lastModifiedMs: number;
  readonly contentType: string;
  /** The `Link` header (WebSub hub and self), when the document has one. */
  readonly link?: string | undefined;
  /** Its `Cache-Control`, when not the feeds' short one (a full archive page's `immutable`). */
  readonly cacheControl?: string | undefined;
  /**
   * The variant for browsers (`Accept: text/html`), when it differs: RSS and Atom with the XHTML
   * preview script that feed readers and validators should not see. Its own bytes and ETag.
   */
  readonly forBrowsers?: EncodedDocument | undefined;
}

/** Bytes a document holds in memory: every coding, and its browsers' variant's. */
export function documentBytes(document: EncodedDocument): number {
  return (
    document.identity.byteLength +
    (document.gzip?.byteLength ?? 0) +
    (document.brotli?.byteLength ?? 0) +
    (document.forBrowsers ? documentBytes(document.forBrowsers) : 0)
  );
}

const encoder = new TextEncoder();

export async function encodeDocument(
  text: string,
  contentType: string,
  updated: Date,
  options: {
    readonly precompress?: boolean | undefined;
    readonly link?: string | undefined;
    readonly cacheControl?: string | undefined;
    /** The text of the browsers' variant, encoded beside this one. */
    readonly forBrowsers?: string | undefined;
  } = {},
): Promise<EncodedDocument> {
  const identity = encoder.encode(text);
  const precompress = options.precompress ?? true;
  // zlib runs on the thread pool: compressing a fresh feed never blocks requests being served.
  const [gzipped, brotli, etag, forBrowsers] = await Promise.all([
    precompress ? gzipAsync(identity, { level: 6 }) : null,
    precompress ? compressBrotli(identity) : null,
    strongEtag(identity),
    options.forBrowsers === undefined
      ? undefined
      : encodeDocument(options.forBrowsers, contentType, updated, {
          precompress,
          link: options.link,
          cacheControl: options.cacheControl,
        }),
  ]);
  // HTTP dates have one-second resolution; round down so If-Modified-Since compares cleanly.
  const lastModifiedMs = Math.floor(updated.getTime() / 1000) * 1000;
  return {
    identity,
    gzip: gzipped && new Uint8Array(gzipped),
    brotli: brotli && new Uint8Array(brotli),
    etag,
    lastModified: new Date(lastModifiedMs).toUTCString(),
    lastModifiedMs,
    contentType,
    link: options.link,
    cacheControl: options.cacheControl,
    forBrowsers,
  };
}

function compressBrotli(identity: Uint8Array<ArrayBuffer>): Promise<Buffer> {
  return brotliAsync(identity, {
    params: {
      // Quality 5: ~5 ms and a few MiB for a 270 kB feed, against ~230 ms and tens of MiB at
      // quality 9, for 10% larger output (measured by `npm run bench`). A rebuild sits between
      // a publish and its readers, so it has to be fast.
      [zlib.BROTLI_PARAM_QUALITY]: 5,
      [zlib.BROTLI_PARAM_SIZE_HINT]: identity.byteLength,
      [zlib.BROTLI_PARAM_MODE]: zlib.BROTLI_MODE_TEXT,
    },
  });
}

/** A strong validator of some bytes: 144 bits of their SHA-256, base64url, quoted. */
export async function strongEtag(bytes: Uint8Array<ArrayBuffer> | ArrayBuffer): Promise<string> {
  const hash = await crypto.subtle.digest("SHA-256", bytes);
  return `"${base64Url(new Uint8Array(hash).subarray(0, 18))}"`;
}

/** Base64url without padding (RFC 4648 §5): safe in ETags and URLs. */
export function base64Url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes))
    .replaceAll("+", "-")
    .replaceAll("/", "_")
    .replace(/=+$/, "");
}
