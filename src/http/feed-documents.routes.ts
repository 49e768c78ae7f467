import { Hono } from "hono";
import {
  answerDocument,
  parseFeedFile,
  type ServingPolicy,
} from "../syndication/document-answer.ts";
import type { EncodedDocument } from "../syndication/encoded-document.ts";
import type { FeedDocumentCache } from "../syndication/feed-document-cache.ts";
import { problem, problemResponse } from "./problem.ts";

/** `GET /feeds/{slug}.{rss|atom|json}`: pre-rendered, pre-compressed bytes from memory. */
export function feedDocumentRoutes(cache: FeedDocumentCache): Hono {
  const routes = new Hono();
  routes.get("/feeds/:file", async (c) => {
    const target = parseFeedFile(c.req.param("file"));
    if (!target) {
      return problemResponse(
        problem("notFound", "Feed documents are /feeds/{slug}.rss, .atom or .json"),
      );
    }
    const document =
      cache.peek(target.slug, target.format) ?? (await cache.get(target.slug, target.format));
    if (!document) return problemResponse(problem("notFound", `No feed named "${target.slug}"`));
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
