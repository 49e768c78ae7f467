import type { Context } from "hono";
import { Hono } from "hono";
import { FEED_SLUG_PATTERN } from "../domain/feed.ts";
import { FAVICON_PATH, SITE_ICON_PATH } from "../domain/urls.ts";
import {
  ARTWORK_SIZE,
  type ArtworkKind,
  feedArtworkPng,
  icoOfPng,
  slugHash,
} from "../web/feed-artwork.ts";

/** Bump when the artwork changes, so caches that kept the old one for a year take the new. */
const ARTWORK_VERSION = 1;
const MAX_KEPT = 256;
/** The site icon follows SITE_NAME, which may change: readers revalidate it daily. */
const SITE_ICON_CACHE = "public, max-age=86400";

/**
 * `GET /media/feeds/{slug}/icon.png|header.png`: the default avatar and header of feeds with no
 * `iconUrl`/`imageUrl`. They depend on the slug alone, so each is drawn once, kept in memory
 * (a bounded map) and cached by readers for a year, with an `ETag` for revalidation.
 *
 * `GET /favicon.ico` and `/assets/icon.png`: the service's own icon, drawn the same way from the
 * site's name, once; where browsers and feed readers look for an icon, and the icon of tag feeds.
 */
export function feedArtworkRoutes(siteName: string): Hono {
  const routes = new Hono();
  const kept = new Map<string, Uint8Array<ArrayBuffer>>();
  routes.get("/media/feeds/:slug/:file", (c) => {
    const { slug, file } = c.req.param();
    const kind: ArtworkKind | null =
      file === "icon.png" ? "icon" : file === "header.png" ? "header" : null;
    if (!kind || !FEED_SLUG_PATTERN.test(slug)) return c.notFound();
    const etag = `"${kind}-${slugHash(slug).toString(16)}-v${ARTWORK_VERSION}"`;
    return imageAnswer(c, etag, "image/png", "public, max-age=31536000, immutable", () => {
      const key = `${kind}/${slug}`;
      let png = kept.get(key);
      if (!png) {
        png = feedArtworkPng(kind, slug);
        if (kept.size >= MAX_KEPT) kept.delete(kept.keys().next().value ?? "");
        kept.set(key, png);
      }
      return png;
    });
  });

  let sitePng: Uint8Array<ArrayBuffer> | undefined;
  const siteIcon = () => {
    sitePng ??= feedArtworkPng("site", siteName);
    return sitePng;
  };
  let favicon: Uint8Array<ArrayBuffer> | undefined;
  const siteTag = `site-${slugHash(siteName).toString(16)}-v${ARTWORK_VERSION}`;
  routes.get(SITE_ICON_PATH, (c) =>
    imageAnswer(c, `"${siteTag}-png"`, "image/png", SITE_ICON_CACHE, siteIcon),
  );
  routes.get(FAVICON_PATH, (c) =>
    imageAnswer(c, `"${siteTag}-ico"`, "image/vnd.microsoft.icon", SITE_ICON_CACHE, () => {
      const { width, height } = ARTWORK_SIZE.site;
      favicon ??= icoOfPng(siteIcon(), width, height);
      return favicon;
    }),
  );
  return routes;
}

/** An image with a strong ETag: 304 when the client holds it, else its bytes (drawn on demand). */
function imageAnswer(
  c: Context,
  etag: string,
  contentType: string,
  cacheControl: string,
  bytes: () => Uint8Array<ArrayBuffer>,
): Response {
  const headers = {
    etag,
    "cache-control": cacheControl,
    "content-type": contentType,
    "x-content-type-options": "nosniff",
  };
  if ((c.req.header("if-none-match") ?? "").split(/\s*,\s*/).includes(etag)) {
    return new Response(null, { status: 304, headers });
  }
  const body = bytes();
  return new Response(body, {
    headers: { ...headers, "content-length": String(body.byteLength) },
  });
}
