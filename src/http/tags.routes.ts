import { Hono } from "hono";
import type { FeedFormat } from "../domain/urls.ts";
import type { FeedDocumentCache, FeedSnapshot } from "../syndication/feed-document-cache.ts";
import { renderPage } from "../web/layout.tsx";
import { TagPage } from "../web/tag-page.tsx";
import { serveDocument } from "./feed-documents.routes.ts";
import { PAGE_SECURITY_HEADERS } from "./negotiation.ts";
import { problem, problemResponse } from "./problem.ts";

export interface TagRoutesDeps {
  /** Tag documents, rendered once per change and kept like feeds' (keyed by the tag). */
  readonly documents: FeedDocumentCache;
  readonly stories: (tag: string) => Promise<FeedSnapshot | undefined>;
  readonly publicUrl: string;
  readonly siteName: string;
}

const TAG_FILE = /^(.+)\.(rss|atom|json)$/;

/** `GET /tags/{tag}` (page) and `/tags/{tag}.rss|.atom|.json`: a tag as a feed. */
export function tagRoutes(deps: TagRoutesDeps): Hono {
  const routes = new Hono();
  routes.get("/tags/:file", async (c) => {
    const file = c.req.param("file");
    const match = TAG_FILE.exec(file);
    if (match) {
      const [, tag = "", format] = match;
      const document =
        deps.documents.peek(tag, format as FeedFormat) ??
        (await deps.documents.get(tag, format as FeedFormat));
      if (!document) return problemResponse(problem("notFound", `No stories tagged "${tag}"`));
      return serveDocument(c.req.raw, document);
    }
    const snapshot = await deps.stories(file);
    if (!snapshot) return problemResponse(problem("notFound", `No stories tagged "${file}"`));
    const page = TagPage({
      title: snapshot.feed.title,
      tag: snapshot.feed.slug,
      language: snapshot.feed.language,
      articles: snapshot.articles,
      publicUrl: deps.publicUrl,
      siteName: deps.siteName,
    });
    return c.html(await renderPage(page), 200, PAGE_SECURITY_HEADERS);
  });
  return routes;
}
