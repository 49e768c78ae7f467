import type { Federation } from "@fedify/fedify";
import { Hono } from "hono";
import { deletedBeforeRelease, isPublic } from "../domain/article.ts";
import { articleUrl } from "../domain/urls.ts";
import type { FederationData } from "../federation/context-data.ts";
import { fetchAuthorized } from "../federation/fetch-authorization.ts";
import { toObject, toTombstone } from "../federation/objects.ts";
import { respondWithActivityJson } from "../federation/public-audience.ts";
import { problem, problemResponse } from "./problem.ts";

const ACTIVITY_JSON = /application\/(activity\+json|ld\+json|json)/;

/**
 * `GET /ap/feeds/{slug}/articles/{id}`: an article as one feed's Note or Article, for servers
 * that dereference ids. Deleted -> 410 with a Tombstone; browsers go to the article's page.
 */
export function objectRoutes(federation: Federation<FederationData>, data: FederationData): Hono {
  const routes = new Hono();
  routes.get("/ap/feeds/:slug/articles/:id", async (c) => {
    const { slug, id } = c.req.param();
    c.header("vary", "Accept");
    if (!ACTIVITY_JSON.test(c.req.header("accept") ?? "")) {
      return c.redirect(articleUrl(data.publicUrl, id), 303);
    }
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
    if (article.deletedAt) {
      return respondWithActivityJson(toTombstone(article, feed, objectContext), 410);
    }
    if (!isPublic(article, data.clock.now())) return c.notFound();
    return respondWithActivityJson(toObject(article, feed, objectContext));
  });
  return routes;
}
