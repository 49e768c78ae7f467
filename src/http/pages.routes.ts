import { type Context, Hono } from "hono";
import { publicHistory } from "../content/revision-history.ts";
import { FEED_SLUG_PATTERN, type Feed } from "../domain/feed.ts";
import type { FrontPage } from "../storage/views/front-page.view.ts";
import { FEED_PREVIEW_SCRIPT_PATH, FEED_STYLESHEET_PATH } from "../syndication/stylesheet.ts";
import { ErrorPage } from "../web/error-page.tsx";
import { actorUrl, objectUrl, parseInstance, remoteFollowUrl } from "../web/fediverse-links.ts";
import { FeedPage } from "../web/feed-page.tsx";
import { FEED_PREVIEW_JS } from "../web/feed-preview-js.ts";
import { FEED_STYLESHEET } from "../web/feed-stylesheet.ts";
import { HistoryPage } from "../web/history-page.tsx";
import { IndexPage } from "../web/index-page.tsx";
import { renderPage, SITE_CSS_PATH, SITE_JS_PATH } from "../web/layout.tsx";
import { SITE_CSS } from "../web/site-css.ts";
import { SITE_JS } from "../web/site-js.ts";
import {
  ARTICLE_PAGE_SERVING,
  type ArticlePageCache,
  type PageSources,
  seenByReaders,
} from "./article-page-cache.ts";
import { renamedFeedRedirect, serveDocument } from "./feed-documents.routes.ts";
import { PAGE_SECURITY_HEADERS, wantsActivityPub, wantsHtml, wantsJson } from "./negotiation.ts";
import { problem, problemResponse } from "./problem.ts";
import type { RenderedPageCache } from "./rendered-page-cache.ts";

const STORIES_PER_PAGE = 20;
const HEADLINES_PER_FEED = 3;
/** Feeds per front page: a newsroom with a thousand story feeds gets pages, not a 3 MB page. */
export const FEEDS_PER_FRONT_PAGE = 30;
const PAGE_CACHE = "public, max-age=60";
const ASSET_CACHE = "public, max-age=3600";

export interface PageDeps extends PageSources {
  /** Whether ActivityPub is served: AP requests for pages are then sent to the AP documents. */
  readonly federated: boolean;
  /** Rendered front pages, cleared on every feed change. */
  readonly renderedPages?: RenderedPageCache | undefined;
  /** Article pages as served: built once per state of the article (article-page-cache.ts). */
  readonly articlePages: ArticlePageCache;
}

/** An HTML page with the pages' security headers. */
async function htmlPage(
  c: Context,
  node: { toString(): string | Promise<string> },
  status: 200 | 400 | 404 | 410 = 200,
): Promise<Response> {
  return c.html(await renderPage(node), status, PAGE_SECURITY_HEADERS);
}

/** A browser gets the 404 page; API clients (and clients that send no Accept) problem+json. */
export function notFound(
  c: Context,
  site: { readonly publicUrl: string; readonly siteName: string },
  detail: string,
): Promise<Response> | Response {
  c.header("vary", "Accept");
  if (!wantsHtml(c.req.header("accept")))
    return problemResponse(problem("notFound", detail), { vary: "Accept" });
  return htmlPage(
    c,
    ErrorPage({
      status: 404,
      title: "Page not found",
      message: "There is nothing at this address. It may have been mistyped.",
      ...site,
    }),
    404,
  );
}

/** Reader-facing pages, their assets and the feeds' XSLT stylesheet. */
export function pageRoutes(deps: PageDeps): Hono {
  const { publicUrl, siteName } = deps;
  const site = { publicUrl, siteName };
  const { views } = deps;
  const routes = new Hono();

  const asset = (path: string, type: string, body: string) =>
    routes.get(path, (c) =>
      c.body(body, 200, {
        "content-type": type,
        "cache-control": ASSET_CACHE,
        "x-content-type-options": "nosniff",
      }),
    );
  asset(SITE_CSS_PATH, "text/css; charset=utf-8", SITE_CSS);
  asset(SITE_JS_PATH, "text/javascript; charset=utf-8", SITE_JS);
  asset(FEED_STYLESHEET_PATH, "text/xsl; charset=utf-8", FEED_STYLESHEET);
  asset(FEED_PREVIEW_SCRIPT_PATH, "text/javascript; charset=utf-8", FEED_PREVIEW_JS);

  routes.get("/", async (c) => {
    const page = parsePageNumber(c.req.query("page"));
    if (page === undefined) return notFound(c, site, "No such page of feeds");
    const key = `front:${page}`;
    let html = deps.renderedPages?.get(key);
    if (html === undefined) {
      const front = views
        ? await views.frontPage.page(
            page,
            { feedsPerPage: FEEDS_PER_FRONT_PAGE, headlinesPerFeed: HEADLINES_PER_FEED },
            deps.clock.now(),
          )
        : await firstFeeds();
      if (page > front.pageCount) return notFound(c, site, "No such page of feeds");
      html = await renderPage(IndexPage({ ...front, ...site }));
      deps.renderedPages?.set(key, html, front.validUntil);
    }
    c.header("cache-control", PAGE_CACHE);
    return c.html(html, 200, PAGE_SECURITY_HEADERS);
  });

  /** Without a read model (no database for views): the first page of feeds, through the services. */
  async function firstFeeds(): Promise<FrontPage> {
    const feeds = (await deps.feeds.list()).slice(0, FEEDS_PER_FRONT_PAGE);
    return {
      feeds: await Promise.all(
        feeds.map(async (feed) => ({
          feed,
          latest: await deps.articles.latestPublic(feed.slug, HEADLINES_PER_FEED),
        })),
      ),
      page: 1,
      pageCount: 1,
    };
  }

  // Rendered once per state of the article and kept (article-page-cache.ts): the preview
  // stampede that follows every Create costs one read and one render.
  routes.get("/articles/:id", async (c) => {
    const id = c.req.param("id");
    c.header("vary", "Accept");
    const state = deps.articlePages.peek(id) ?? (await deps.articlePages.get(id));
    // The same article as its home feed's ActivityPub object (410 Tombstone there once deleted).
    if (
      deps.federated &&
      state.kind !== "missing" &&
      state.home &&
      wantsActivityPub(c.req.header("accept"))
    ) {
      return c.redirect(objectUrl(publicUrl, state.home, id), 303);
    }
    if (state.kind !== "page") return unavailable(c, state.kind === "gone");
    return serveDocument(c.req.raw, state.document, ARTICLE_PAGE_SERVING);
  });

  /**
   * Every public revision with what it changed. Nothing of a deleted article (410) or one not
   * yet published (404, as its page): drafts and embargoed versions stay private.
   */
  if (views) {
    routes.get("/articles/:id/history", async (c) => {
      c.header("vary", "Accept");
      const result = await deps.articles.get(c.req.param("id"));
      const article =
        result.ok && seenByReaders(result.value, deps.clock.now()) ? result.value : undefined;
      if (!article || article.deletedAt) {
        return unavailable(c, article?.deletedAt != null);
      }
      const entries = publicHistory(
        await views.articleHistory.revisions(article.id),
        article.publishedAt,
      );
      c.header("cache-control", PAGE_CACHE);
      return htmlPage(c, HistoryPage({ article, entries, ...site }));
    });
  }

  /** An article readers cannot see: unknown or scheduled (404), or deleted (410 Gone). */
  function unavailable(c: Context, deleted: boolean) {
    if (!deleted) return notFound(c, site, "No such article");
    if (wantsJson(c.req.header("accept")))
      return problemResponse(problem("gone", "This article was deleted"), { vary: "Accept" });
    return htmlPage(
      c,
      ErrorPage({
        status: 410,
        title: "This article was removed",
        message: "It has been deleted and is no longer available.",
        ...site,
      }),
      410,
    );
  }

  // Registered last by the app: any other first-level path is taken before these.
  routes.get("/:slug/follow", async (c) => {
    const feed = await findFeed(c.req.param("slug"));
    if (!feed) {
      const moved = await renamedPage(c.req.url, c.req.param("slug"), "/follow");
      return moved ?? notFound(c, site, "No such feed");
    }
    const instance = parseInstance(c.req.query("instance") ?? "");
    if (instance === undefined) {
      return htmlPage(
        c,
        ErrorPage({
          status: 400,
          title: "Which server are you on?",
          message:
            "Type your fediverse server's name, such as mastodon.social, or your handle, such as @you@mastodon.social.",
          ...site,
        }),
        400,
      );
    }
    return c.redirect(remoteFollowUrl(instance, actorUrl(publicUrl, feed.slug)), 303);
  });

  routes.get("/:slug", async (c, next) => {
    const feed = await findFeed(c.req.param("slug"));
    if (!feed) return (await renamedPage(c.req.url, c.req.param("slug"), "")) ?? next();
    c.header("vary", "Accept");
    if (deps.federated && wantsActivityPub(c.req.header("accept"))) {
      return c.redirect(actorUrl(publicUrl, feed.slug), 303);
    }
    const before = c.req.query("before");
    const stories = views
      ? await views.feedPage.stories(feed.slug, STORIES_PER_PAGE, before, deps.clock.now())
      : { articles: await deps.articles.latestPublic(feed.slug, STORIES_PER_PAGE), older: null };
    const followers = views ? await views.feedPage.followerCount(feed.slug) : null;
    c.header("cache-control", PAGE_CACHE);
    return htmlPage(
      c,
      FeedPage({
        feed,
        stories,
        paged: before !== undefined && views !== undefined,
        followers,
        ...site,
      }),
    );
  });

  /** A renamed feed's page under its old slug: 301 to its page now. */
  function renamedPage(url: string, slug: string, suffix: string) {
    return renamedFeedRedirect(
      { renamedTo: (old) => deps.feeds.renamedTo(old), publicUrl },
      url,
      slug,
      (current) => `/${current}${suffix}`,
    );
  }

  async function findFeed(slug: string): Promise<Feed | undefined> {
    if (!FEED_SLUG_PATTERN.test(slug)) return undefined;
    const found = await deps.feeds.get(slug);
    return found.ok ? found.value : undefined;
  }

  return routes;
}

/** `?page=N` (1 when absent); undefined for anything but a plain positive number. */
function parsePageNumber(value: string | undefined): number | undefined {
  if (value === undefined) return 1;
  if (!/^[1-9]\d{0,5}$/.test(value)) return undefined;
  return Number(value);
}
