import type { IncomingMessage, RequestListener, ServerResponse } from "node:http";
import { ARTICLE_PAGE_SERVING, type ArticlePageCache } from "../../http/article-page-cache.ts";
import { wantsActivityPub } from "../../http/negotiation.ts";
import {
  answerDocument,
  type DocumentAnswer,
  parseFeedFile,
} from "../../syndication/document-answer.ts";
import type { EncodedDocument } from "../../syndication/encoded-document.ts";
import type { FeedDocumentCache } from "../../syndication/feed-document-cache.ts";

/** `/articles/{id}` exactly (not its history or updates); its query is ignored, as the route does. */
const ARTICLE_PAGE = /^\/articles\/([0-9A-Za-z-]{1,64})(?:\?|$)/;

/**
 * Node only: answers a warm `GET /feeds/{slug}.{format}` straight from the document cache, and a
 * warm `GET /articles/{id}` from the article pages (the preview stampede after a publish), before
 * Hono builds a Request and a Response for it (about a third of a small response's CPU, measured
 * by `npm run bench`). Anything else — a cold feed or page, an unknown one, an ActivityPub client
 * (sent to the object by the app), other paths — goes to the app, which gives the same answer
 * through its own route.
 */
export function withFeedFastPath(
  cache: FeedDocumentCache,
  app: RequestListener,
  /** Counts each answer by status (metrics on); unset: nothing is counted. */
  onAnswered?: (status: number) => void,
  articlePages?: ArticlePageCache,
): RequestListener {
  const send = (res: ServerResponse, answer: DocumentAnswer) => {
    res.writeHead(answer.status, answer.headers);
    res.end(answer.body ?? undefined);
    onAnswered?.(answer.status);
  };
  const header = (req: IncomingMessage) => (name: string) => headerValue(req, name);
  const sendPage = (req: IncomingMessage, res: ServerResponse, page: EncodedDocument) =>
    send(res, answerDocument(req.method ?? "GET", header(req), page, ARTICLE_PAGE_SERVING));
  return (req: IncomingMessage, res: ServerResponse) => {
    const url = req.url ?? "";
    if (req.method === "GET" || req.method === "HEAD") {
      if (url.startsWith("/feeds/")) {
        const query = url.indexOf("?");
        const target = parseFeedFile(url.slice("/feeds/".length, query === -1 ? undefined : query));
        const document = target && cache.peek(target.slug, target.format);
        if (document) return send(res, answerDocument(req.method, header(req), document));
      } else if (articlePages && url.startsWith("/articles/")) {
        const id = ARTICLE_PAGE.exec(url)?.[1];
        if (id !== undefined && !wantsActivityPub(req.headers.accept)) {
          const state = articlePages.peek(id);
          if (state?.kind === "page") return sendPage(req, res, state.document);
          // The preview stampede: a page being built (just published) is waited for here, so
          // the thousand fetches arriving meanwhile skip the app's Request/Response as well.
          const building = state === undefined ? articlePages.building(id) : undefined;
          if (building) {
            building.then(
              (built) =>
                built.kind === "page" ? sendPage(req, res, built.document) : app(req, res),
              () => app(req, res),
            );
            return;
          }
        }
      }
    }
    app(req, res);
  };
}

function headerValue(req: IncomingMessage, name: string): string | null {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(", ") : (value ?? null);
}
