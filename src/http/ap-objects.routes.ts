import type { Federation } from "@fedify/fedify";
import { Tombstone } from "@fedify/vocab";
import { type Context, Hono } from "hono";
import { z } from "zod";
import { type Article, deletedBeforeRelease, isPublic } from "../domain/article.ts";
import type { Feed } from "../domain/feed.ts";
import { correctionInThread, publishedBy, visibleAt } from "../domain/thread-announcements.ts";
import { articleUrl, correctionUrl, liveUpdateUrl } from "../domain/urls.ts";
import type { FederationData } from "../federation/context-data.ts";
import { toCorrectionNote, toCorrectionTombstone } from "../federation/correction-objects.ts";
import { fetchAuthorized } from "../federation/fetch-authorization.ts";
import {
  instant,
  type ObjectContext,
  toLiveUpdateNote,
  toLiveUpdateTombstone,
  toObject,
  toTombstone,
} from "../federation/objects.ts";
import { parseThreadObjectUri, quoteAuthorizationUri } from "../federation/paths.ts";
import { respondWithActivityJson } from "../federation/public-audience.ts";
import { toQuoteAuthorization } from "../federation/quote-objects.ts";
import { toContextCollection, toRepliesCollection } from "../federation/thread-collections.ts";
import { problem, problemResponse } from "./problem.ts";
import { parseWith } from "./request.ts";

const ACTIVITY_JSON = /application\/(activity\+json|ld\+json|json)/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** `…/page/N` of a thread collection (1-based). */
const pageParameter = z.object({ page: z.coerce.number().int().min(1).max(1_000_000) });

/** The feed and article a request names, and where the mappers find its actor. */
interface ArticleInFeed {
  readonly feed: Feed;
  readonly article: Article;
  readonly objectContext: ObjectContext;
}

/**
 * `GET /ap/feeds/{slug}/articles/{id}`: an article as one feed's Note or Article, for servers
 * that dereference ids, and `…/updates/{updateId}`: one of its live updates as that feed's
 * reply in the thread. Deleted -> 410 with a Tombstone; not yet public -> 404; browsers go to
 * the page.
 */
export function objectRoutes(federation: Federation<FederationData>, data: FederationData): Hono {
  const routes = new Hono();

  /**
   * What every object route does first: browsers to `pageUrl`, unknown feed or article 404,
   * authorized fetch; then the article in its feed, or the response to give instead.
   */
  async function articleInFeed(c: Context, pageUrl: string): Promise<ArticleInFeed | Response> {
    const { slug, id } = c.req.param() as { slug: string; id: string };
    c.header("vary", "Accept");
    if (!ACTIVITY_JSON.test(c.req.header("accept") ?? "")) return c.redirect(pageUrl, 303);
    const [feed, article] = await Promise.all([
      data.repos.feeds.find(slug),
      data.repos.articles.findById(id),
    ]);
    // Deleted before its embargo lifted: nobody saw it, so there is no tombstone to show.
    if (!feed || !article?.feeds.includes(slug) || deletedBeforeRelease(article)) {
      return c.notFound();
    }
    const ctx = federation.createContext(c.req.raw, data);
    if (!(await fetchAuthorized(ctx))) {
      return problemResponse(
        problem(
          "unauthorized",
          "Sign the request (HTTP signatures): this server uses authorized fetch",
        ),
        { vary: "Accept, Signature" },
      );
    }
    const objectContext = {
      publicUrl: data.publicUrl,
      actorUri: ctx.getActorUri(slug),
      followersUri: ctx.getFollowersUri(slug),
    };
    return { feed, article, objectContext };
  }

  routes.get("/ap/feeds/:slug/articles/:id", async (c) => {
    const found = await articleInFeed(c, articleUrl(data.publicUrl, c.req.param("id")));
    if (found instanceof Response) return found;
    const { feed, article, objectContext } = found;
    if (article.deletedAt) {
      return respondWithActivityJson(toTombstone(article, feed, objectContext), 410);
    }
    if (!isPublic(article, data.clock.now())) return c.notFound();
    return respondWithActivityJson(toObject(article, feed, objectContext));
  });

  routes.get("/ap/feeds/:slug/articles/:id/updates/:updateId", async (c) => {
    const { id, updateId } = c.req.param();
    const found = await articleInFeed(c, liveUpdateUrl(data.publicUrl, id, updateId));
    if (found instanceof Response) return found;
    const { feed, article, objectContext } = found;
    const update = await data.repos.liveUpdates.findById(article.id, updateId);
    if (!update) return c.notFound();
    const deletedAt = update.deletedAt ?? article.deletedAt;
    if (deletedAt) {
      // Deleted while still embargoed: it never existed for the fediverse.
      if (!publishedBy(article, update, deletedAt)) return c.notFound();
      const shown = { ...update, deletedAt };
      const tombstone = toLiveUpdateTombstone(shown, article, feed, objectContext);
      return respondWithActivityJson(tombstone, 410);
    }
    // Embargoed (the update or its article): as if it did not exist.
    if (!visibleAt(article, update, data.clock.now())) return c.notFound();
    return respondWithActivityJson(toLiveUpdateNote(update, article, feed, objectContext));
  });

  /**
   * A correction's reply in the thread, under the same rules as the update Notes: signed when
   * authorized fetch is on, 410 once the article is deleted, 404 when it has no reply (made
   * under embargo) or the article is not public.
   */
  routes.get("/ap/feeds/:slug/articles/:id/corrections/:correctionId", async (c) => {
    const { id, correctionId } = c.req.param();
    const found = await articleInFeed(c, correctionUrl(data.publicUrl, id, correctionId));
    if (found instanceof Response) return found;
    const { feed, article, objectContext } = found;
    const correction = article.corrections?.find((candidate) => candidate.id === correctionId);
    if (!correction || !correctionInThread(article, correction)) return c.notFound();
    if (article.deletedAt) {
      const tombstone = toCorrectionTombstone(correction, article, feed, objectContext);
      return respondWithActivityJson(tombstone, 410);
    }
    if (!isPublic(article, data.clock.now())) return c.notFound();
    return respondWithActivityJson(toCorrectionNote(correction, article, feed, objectContext));
  });

  /**
   * A quote of the article's post (or of one of its updates) that this feed approved: the
   * FEP-044f QuoteAuthorization that servers fetch before they show the quote. Revoked (or its
   * article deleted) -> 410 with a Tombstone, and servers that check again drop the quote.
   */
  routes.get("/ap/feeds/:slug/articles/:id/quotes/:quoteId", async (c) => {
    const found = await articleInFeed(c, articleUrl(data.publicUrl, c.req.param("id")));
    if (found instanceof Response) return found;
    const { feed, article, objectContext } = found;
    const quoteId = c.req.param("quoteId");
    const quote = UUID.test(quoteId) ? await data.repos.quotes.find(quoteId) : undefined;
    if (!quote || quote.articleId !== article.id || quote.feedSlug !== feed.slug) {
      return c.notFound();
    }
    // A quote of a live update goes with the update, at once (the relay then revokes it).
    const updateId = parseThreadObjectUri(data.publicUrl, quote.targetUri)?.updateId;
    const update = updateId ? await data.repos.liveUpdates.findById(article.id, updateId) : null;
    const revokedAt = quote.revokedAt ?? article.deletedAt ?? update?.deletedAt ?? null;
    if (revokedAt) {
      const id = quoteAuthorizationUri(data.publicUrl, feed.slug, article.id, quote.id);
      return respondWithActivityJson(new Tombstone({ id, deleted: instant(revokedAt) }), 410);
    }
    return respondWithActivityJson(toQuoteAuthorization(quote, objectContext));
  });

  /**
   * The thread's collections, `context` (FEP-7888) and `replies`, and their pages
   * (`…/page/N`): only for a public article, and listing only public updates, so an embargo
   * shows nowhere.
   */
  for (const [name, build] of [
    ["context", toContextCollection],
    ["replies", toRepliesCollection],
  ] as const) {
    const serve = async (c: Context, page: number | null) => {
      const found = await articleInFeed(c, articleUrl(data.publicUrl, c.req.param("id") ?? ""));
      if (found instanceof Response) return found;
      const { feed, article, objectContext } = found;
      const now = data.clock.now();
      if (!isPublic(article, now)) return c.notFound();
      const thread = data.repos.thread;
      const ctx = objectContext;
      return respondWithActivityJson(await build({ thread, article, feed, ctx, now, page }));
    };
    const path = `/ap/feeds/:slug/articles/:id/${name}`;
    routes.get(path, (c) => serve(c, null));
    routes.get(`${path}/page/:page`, (c) => {
      const { page } = parseWith(pageParameter, { page: c.req.param("page") }, "path");
      return serve(c, page);
    });
  }

  return routes;
}
