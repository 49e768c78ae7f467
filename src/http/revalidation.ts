import type { MiddlewareHandler } from "hono";
import { isNotModified } from "../syndication/document-answer.ts";
import { strongEtag } from "../syndication/encoded-document.ts";

/** Headers a 304 repeats from the full answer (RFC 9110 §15.4.5). */
const NOT_MODIFIED_HEADERS = [
  "cache-control",
  "content-location",
  "etag",
  "expires",
  "last-modified",
  "vary",
];

/** Paths whose answers must never be revalidated: the editors' side and live probes. */
const NEVER = /^\/(admin|desk|metrics|healthz)(\/|$)/;

/**
 * `ETag` and `304 Not Modified` for pages and ActivityPub documents, as feed documents have
 * (feed-document-cache.ts, where the tag is computed once per version). These are rendered per
 * request, so the tag is a hash of the answer's bytes: a 304 saves the transfer, not the render,
 * and the tag changes exactly when the answer does (a publish, an edit, a new follower count).
 * Answers that carry their own `ETag` keep it. Only 200 answers to GET (and HEAD, which runs as
 * GET) get one.
 */
export function revalidation(): MiddlewareHandler {
  return async (c, next) => {
    await next();
    if (c.req.method !== "GET" || c.res.status !== 200 || NEVER.test(c.req.path)) return;
    const response = c.res;
    if (response.headers.has("content-encoding")) return;
    const etag =
      response.headers.get("etag") ?? (await strongEtag(await response.clone().arrayBuffer()));
    const header = (name: string) => c.req.header(name) ?? null;
    // Only If-None-Match: these answers have no Last-Modified of their own.
    if (header("if-none-match") !== null && isNotModified(header, { etag, lastModifiedMs: 0 })) {
      await response.body?.cancel();
      const headers = new Headers();
      for (const name of NOT_MODIFIED_HEADERS) {
        const value = name === "etag" ? etag : response.headers.get(name);
        if (value !== null) headers.set(name, value);
      }
      c.res = new Response(null, { status: 304, headers });
      return;
    }
    if (!response.headers.has("etag")) {
      const headers = new Headers(response.headers);
      headers.set("etag", etag);
      c.res = new Response(response.body, { status: response.status, headers });
    }
  };
}
