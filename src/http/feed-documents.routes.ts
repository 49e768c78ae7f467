import { Hono } from "hono";
import { FEED_SLUG_PATTERN } from "../domain/feed.ts";
import { archiveKey, parseArchiveFile } from "../syndication/archive-snapshot.ts";
import {
  answerDocument,
  parseFeedFile,
  type ServingPolicy,
} from "../syndication/document-answer.ts";
import type { EncodedDocument } from "../syndication/encoded-document.ts";
import type { FeedDocumentCache } from "../syndication/feed-document-cache.ts";
import { problem, problemResponse } from "./problem.ts";

/** Where renamed feeds went: their current slug by an old one (FeedService.renamedTo). */
export interface RenamedFeeds {
  readonly renamedTo: (slug: string) => Promise<string | undefined>;
  /** Redirects name the new URL under the service's public origin, as every link does. */
  readonly publicUrl: string;
}

/**
 * An old slug's URL, answered with a permanent redirect to the renamed feed's (readers and
 * crawlers update what they keep), or undefined for a slug that is no feed's old slug.
 */
export async function renamedFeedRedirect(
  renamed: RenamedFeeds | undefined,
  requestUrl: string,
  slug: string,
  path: (currentSlug: string) => string,
): Promise<Response | undefined> {
  const current =
    renamed && FEED_SLUG_PATTERN.test(slug) ? await renamed.renamedTo(slug) : undefined;
  if (!renamed || !current) return undefined;
  const location = new URL(path(current), renamed.publicUrl);
  location.search = new URL(requestUrl).search;
  return new Response(null, {
    status: 301,
    headers: { location: location.href, "cache-control": "public, max-age=86400" },
  });
}

/**
 * `GET /feeds/{slug}.{rss|atom|json}`: pre-rendered, pre-compressed bytes from memory; with
 * `archive`, also `GET /feeds/{slug}/archive/{page}.{rss|atom|json}` (RFC 5005 archive pages). A renamed
 * feed's old slug answers 301 to the same document under its current slug.
 */
export function feedDocumentRoutes(
  cache: FeedDocumentCache,
  archive?: FeedDocumentCache,
  renamed?: RenamedFeeds,
): Hono {
  const routes = new Hono();
  if (archive) {
    routes.get("/feeds/:slug/archive/:file", async (c) => {
      const slug = c.req.param("slug");
      const target = parseArchiveFile(c.req.param("file"));
      if (!target || !FEED_SLUG_PATTERN.test(slug)) {
        return problemResponse(
          problem(
            "notFound",
            "Archive pages are /feeds/{slug}/archive/{page}.rss, .atom or .json",
            {
              errors: [
                {
                  pointer: "/page",
                  detail: "must be a page number from 1, then .rss, .atom or .json",
                },
              ],
            },
          ),
        );
      }
      const key = archiveKey(slug, target.page);
      const document = archive.peek(key, target.format) ?? (await archive.get(key, target.format));
      if (!document) {
        const moved = await renamedFeedRedirect(
          renamed,
          c.req.url,
          slug,
          (current) => `/feeds/${current}/archive/${c.req.param("file")}`,
        );
        return (
          moved ??
          problemResponse(problem("notFound", `Feed "${slug}" has no archive page ${target.page}`))
        );
      }
      return serveDocument(c.req.raw, document);
    });
  }
  routes.get("/feeds/:file", async (c) => {
    const target = parseFeedFile(c.req.param("file"));
    if (!target) {
      return problemResponse(
        problem("notFound", "Feed documents are /feeds/{slug}.rss, .atom or .json"),
      );
    }
    const document =
      cache.peek(target.slug, target.format) ?? (await cache.get(target.slug, target.format));
    if (!document) {
      const moved = await renamedFeedRedirect(
        renamed,
        c.req.url,
        target.slug,
        (current) => `/feeds/${current}${c.req.param("file").slice(target.slug.length)}`,
      );
      return moved ?? problemResponse(problem("notFound", `No feed named "${target.slug}"`));
    }
    return serveDocument(c.req.raw, document);
  });
  return routes;
}

/** The document answer as a web Response (Hono, and the Worker's edge cache). */
export function serveDocument(
  request: Request,
  document: EncodedDocument,
  policy?: ServingPolicy,
): Response {
  const answer = answerDocument(
    request.method,
    (name) => request.headers.get(name),
    document,
    policy,
  );
  return new Response(answer.body, { status: answer.status, headers: answer.headers });
}
