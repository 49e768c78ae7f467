import { Hono } from "hono";
import { z } from "zod";
import {
  FEED_FORMATS,
  type FeedFormat,
  NEWS_SITEMAP_PATH,
  OPML_PATH,
  SITEMAP_PATH,
} from "../domain/urls.ts";
import type { SiteDocumentCache } from "../syndication/site-document-cache.ts";
import type { SiteDocumentName } from "../syndication/site-documents.ts";
import { serveDocument } from "./feed-documents.routes.ts";
import { readQuery } from "./request.ts";

const opmlQuery = z.object({
  format: z
    .enum(FEED_FORMATS as [FeedFormat, ...FeedFormat[]])
    .optional()
    .describe("one format only: rss, atom or json"),
});

/** Paths crawlers must leave alone: the editors' and operators' side. */
const DISALLOWED = ["/admin/", "/desk", "/metrics"];

/**
 * `/feeds.opml` (every open feed in each format, for importing into a feed reader),
 * `/sitemap.xml`, `/news-sitemap.xml` (Google News: the last 48 hours) and `/robots.txt`, which
 * names both sitemaps. The documents come from the SiteDocumentCache (built once per change) and
 * are answered like feed documents: ETag, Last-Modified, 304, gzip and brotli, HEAD.
 */
export function siteDocumentRoutes(
  cache: SiteDocumentCache<SiteDocumentName>,
  publicUrl: string,
): Hono {
  const routes = new Hono();
  routes.get(OPML_PATH, async (c) => {
    const { format } = readQuery(c, opmlQuery);
    const document = await cache.get(format === undefined ? "opml" : `opml-${format}`);
    return serveDocument(c.req.raw, document);
  });
  routes.get(SITEMAP_PATH, async (c) => serveDocument(c.req.raw, await cache.get("sitemap")));
  routes.get(NEWS_SITEMAP_PATH, async (c) =>
    serveDocument(c.req.raw, await cache.get("news-sitemap")),
  );
  const robots = [
    "User-agent: *",
    ...DISALLOWED.map((path) => `Disallow: ${path}`),
    "Allow: /",
    "",
    `Sitemap: ${publicUrl}${SITEMAP_PATH}`,
    `Sitemap: ${publicUrl}${NEWS_SITEMAP_PATH}`,
    "",
  ].join("\n");
  routes.get("/robots.txt", (c) =>
    c.body(robots, 200, {
      "content-type": "text/plain; charset=utf-8",
      "cache-control": "public, max-age=3600",
      "x-content-type-options": "nosniff",
    }),
  );
  return routes;
}
