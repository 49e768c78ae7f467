import type { IncomingMessage, RequestListener, ServerResponse } from "node:http";
import { answerDocument, parseFeedFile } from "../../syndication/document-answer.ts";
import type { FeedDocumentCache } from "../../syndication/feed-document-cache.ts";

/**
 * Node only: answers a warm `GET /feeds/{slug}.{format}` straight from the document cache,
 * before Hono builds a Request and a Response for it (about a third of a small response's CPU,
 * measured by `npm run bench`). Anything else — a cold feed, an unknown one, other paths — goes
 * to the app, which gives the same answer through its own route.
 */
export function withFeedFastPath(
  cache: FeedDocumentCache,
  app: RequestListener,
  /** Counts each answer by status (metrics on); unset: nothing is counted. */
  onAnswered?: (status: number) => void,
): RequestListener {
  return (req: IncomingMessage, res: ServerResponse) => {
    const url = req.url ?? "";
    if ((req.method === "GET" || req.method === "HEAD") && url.startsWith("/feeds/")) {
      const query = url.indexOf("?");
      const target = parseFeedFile(url.slice("/feeds/".length, query === -1 ? undefined : query));
      const document = target && cache.peek(target.slug, target.format);
      if (document) {
        const answer = answerDocument(req.method, (name) => headerValue(req, name), document);
        res.writeHead(answer.status, answer.headers);
        res.end(answer.body ?? undefined);
        onAnswered?.(answer.status);
        return;
      }
    }
    app(req, res);
  };
}

function headerValue(req: IncomingMessage, name: string): string | null {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(", ") : (value ?? null);
}
