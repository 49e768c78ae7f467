import { Hono } from "hono";
import { FEED_SLUG_PATTERN } from "../domain/feed.ts";
import { type ArtworkKind, feedArtworkPng, slugHash } from "../web/feed-artwork.ts";

/** Bump when the artwork changes, so caches that kept the old one for a year take the new. */
const ARTWORK_VERSION = 1;
const MAX_KEPT = 256;

/**
 * `GET /media/feeds/{slug}/icon.png|header.png`: the default avatar and header of feeds with no
 * `iconUrl`/`imageUrl`. They depend on the slug alone, so each is drawn once, kept in memory
 * (a bounded map) and cached by readers for a year, with an `ETag` for revalidation.
 */
export function feedArtworkRoutes(): Hono {
  const routes = new Hono();
  const kept = new Map<string, Uint8Array<ArrayBuffer>>();
  routes.get("/media/feeds/:slug/:file", (c) => {
    const { slug, file } = c.req.param();
    const kind: ArtworkKind | null =
      file === "icon.png" ? "icon" : file === "header.png" ? "header" : null;
    if (!kind || !FEED_SLUG_PATTERN.test(slug)) return c.notFound();
    const etag = `"${kind}-${slugHash(slug).toString(16)}-v${ARTWORK_VERSION}"`;
    const headers = {
      etag,
      "cache-control": "public, max-age=31536000, immutable",
      "content-type": "image/png",
      "x-content-type-options": "nosniff",
    };
    if ((c.req.header("if-none-match") ?? "").split(/\s*,\s*/).includes(etag)) {
      return new Response(null, { status: 304, headers });
    }
    const key = `${kind}/${slug}`;
    let png = kept.get(key);
    if (!png) {
      png = feedArtworkPng(kind, slug);
      if (kept.size >= MAX_KEPT) kept.delete(kept.keys().next().value ?? "");
      kept.set(key, png);
    }
    return new Response(png, { headers });
  });
  return routes;
}
