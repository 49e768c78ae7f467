import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { DEFAULT_INBOX_RATE_LIMIT, DEFAULT_LIMITS } from "./config.ts";
import type { ArticleService } from "./domain/article-service.ts";
import type { BlockList } from "./domain/block-list.ts";
import type { FeedService } from "./domain/feed-service.ts";
import type { LiveUpdateService } from "./domain/live-update-service.ts";
import type { Clock } from "./domain/ports.ts";
import { federationMiddleware } from "./federation/hono-middleware.ts";
import { admitInboxRequest } from "./federation/inbox-gate.ts";
import { actorResolver } from "./federation/resolve-actor.ts";
import type { FederationRuntime } from "./federation/runtime.ts";
import { adminArticleRoutes } from "./http/admin-articles.routes.ts";
import { adminAuditRoutes } from "./http/admin-audit.routes.ts";
import { type AdminEnv, adminAuth } from "./http/admin-auth.ts";
import { adminBlockRoutes } from "./http/admin-blocks.routes.ts";
import { adminDeliveryRoutes } from "./http/admin-deliveries.routes.ts";
import { adminFeedRoutes } from "./http/admin-feeds.routes.ts";
import { adminFollowerRoutes } from "./http/admin-followers.routes.ts";
import { adminModerationRoutes } from "./http/admin-moderation.routes.ts";
import { adminTokenRoutes } from "./http/admin-tokens.routes.ts";
import { adminWebSubRoutes } from "./http/admin-websub.routes.ts";
import { objectRoutes } from "./http/ap-objects.routes.ts";
import type { ArticlePageCache } from "./http/article-page-cache.ts";
import { RequestAbortedError } from "./http/bounded-body.ts";
import { clientAddressOf } from "./http/client-address.ts";
import { feedArtworkRoutes } from "./http/feed-artwork.routes.ts";
import { feedDocumentRoutes } from "./http/feed-documents.routes.ts";
import { answeringHead } from "./http/head-requests.ts";
import { healthRoutes } from "./http/health.routes.ts";
import { liveStreamRoutes } from "./http/live-stream.routes.ts";
import { httpMetrics, metricsRoutes } from "./http/metrics.routes.ts";
import { openApiDocument } from "./http/openapi.ts";
import { notFound, pageRoutes } from "./http/pages.routes.ts";
import {
  PROBLEM_TYPES,
  ProblemError,
  problem,
  problemResponse,
  unavailableResponse,
} from "./http/problem.ts";
import { createRateLimit } from "./http/rate-limit.ts";
import type { RenderedPageCache } from "./http/rendered-page-cache.ts";
import { revalidation } from "./http/revalidation.ts";
import { siteDocumentRoutes } from "./http/site-documents.routes.ts";
import { tagRoutes } from "./http/tags.routes.ts";
import { websubRoutes } from "./http/websub.routes.ts";
import type { Logger } from "./logger.ts";
import type { Metrics, MetricsExposition } from "./observability/metrics.ts";
import type { AdminTokenRepository } from "./storage/admin-token-repository.ts";
import type { AuditLog } from "./storage/audit-log.ts";
import { unavailableReason } from "./storage/database-unavailable.ts";
import type { ModerationStore } from "./storage/moderation-store.ts";
import type { Views } from "./storage/stores.ts";
import type { FeedDocumentCache, FeedSnapshot } from "./syndication/feed-document-cache.ts";
import type { SiteDocumentCache } from "./syndication/site-document-cache.ts";
import type { SiteDocumentName } from "./syndication/site-documents.ts";
import type { WebSubHub } from "./syndication/websub-hub.ts";

export interface AppDeps {
  readonly publicUrl: string;
  /** The newsroom's name on reader pages (default: the public host). */
  readonly siteName: string;
  readonly adminToken: string | undefined;
  readonly maxBodyBytes: number;
  /** Largest article body after sanitising (default DEFAULT_LIMITS.articleMaxBytes). */
  readonly articleMaxBytes?: number | undefined;
  readonly articles: ArticleService;
  readonly liveUpdates?: LiveUpdateService | undefined;
  readonly feeds: FeedService;
  readonly feedDocuments: FeedDocumentCache;
  /** Feeds' archive pages (RFC 5005), keyed `slug/page`; absent: no archive routes. */
  readonly archiveDocuments?: FeedDocumentCache | undefined;
  /** Tags as feeds (`/tags/{tag}` and its documents); absent: no tag pages. */
  readonly tagDocuments?: FeedDocumentCache | undefined;
  readonly tagStories?: ((tag: string) => Promise<FeedSnapshot | undefined>) | undefined;
  /** `/feeds.opml`, `/sitemap.xml`, `/news-sitemap.xml` (and `/robots.txt`); absent: none. */
  readonly siteDocuments?: SiteDocumentCache<SiteDocumentName> | undefined;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Resolves when the database answers; rejects otherwise. */
  readonly checkDatabase: () => Promise<void>;
  /** The fediverse side; without it the app serves feeds and the admin API only. */
  readonly federation?: Pick<FederationRuntime, "federation" | "data" | "kv"> | undefined;
  /** Largest inbox POST body (default 256 KiB); larger ones get 413 before anything reads them. */
  readonly inboxMaxBodyBytes?: number | undefined;
  /** Signed inbox POSTs per remote server per minute (default DEFAULT_INBOX_RATE_LIMIT; 0: off). */
  readonly inboxRateLimit?: number | undefined;
  /**
   * The read models (src/storage/views/): pages show counts, replies, paging and followers with
   * them, and `GET /admin/feeds/SLUG/followers` lists with them. Without them, pages show the
   * newest stories only and that listing is absent.
   */
  readonly views?: Views | undefined;
  /** Rendered front pages, cleared on every feed change (see pages.routes.ts). */
  readonly renderedPages?: RenderedPageCache | undefined;
  /** Article pages, built once per state of the article (src/http/article-page-cache.ts). */
  readonly articlePages: ArticlePageCache;
  /** Stored admin tokens (`/admin/tokens`); without them only ADMIN_TOKEN opens the admin API. */
  readonly adminTokens?: AdminTokenRepository | undefined;
  /** Where every admin write is recorded (read at `GET /admin/audit` through the views). */
  readonly audit?: AuditLog | undefined;
  /** Blocks, reports and hidden replies (`/admin/blocks`, `/admin/reports`, `/admin/replies`). */
  readonly moderation?: ModerationStore | undefined;
  /** The process's in-memory blocks (inbox gate, deliveries); reloaded after every change. */
  readonly blockList?: BlockList | undefined;
  /** The WebSub hub (`POST /websub`); without it feeds name no hub and nothing is pushed. */
  readonly websub?: WebSubHub | undefined;
  /** Counts and times requests (src/observability/); unset: metrics are off, nothing is counted. */
  readonly metrics?: Metrics | undefined;
  /**
   * `GET /metrics` on this app, for METRICS_TOKEN as a bearer token. Unset: no such route (404);
   * Node's METRICS_PORT listener serves its own (src/entries/node/metrics.ts).
   */
  readonly metricsEndpoint?:
    | { readonly exposition: MetricsExposition; readonly token: string }
    | undefined;
}

/** Builds the HTTP application from its dependencies. No I/O, no environment reads. */
export function createApp(deps: AppDeps): Hono {
  const { publicUrl, maxBodyBytes, clock, logger } = deps;
  const { siteName } = deps;
  const app = new Hono();
  if (deps.metrics) app.use("*", httpMetrics(deps.metrics));
  // Outside Fedify's middleware, so actors and collections get ETags and 304 like pages.
  app.use("*", revalidation());

  if (deps.federation) {
    // Only Fedify's own paths pass through it; feed documents never pay for the routing.
    const { federation, data, kv } = deps.federation;
    const maxBodyBytes = deps.inboxMaxBodyBytes ?? DEFAULT_LIMITS.inboxMaxBodyBytes;
    const perHostPerMinute = deps.inboxRateLimit ?? DEFAULT_INBOX_RATE_LIMIT;
    const gate = {
      federation,
      data,
      kv,
      maxBodyBytes,
      blocks: data.blocks,
      perHost:
        perHostPerMinute > 0
          ? createRateLimit({ points: perHostPerMinute, windowSeconds: 60 })
          : undefined,
    };
    const fedify = federationMiddleware(federation, data, (request) =>
      admitInboxRequest(request, gate),
    );
    for (const path of ["/.well-known/*", "/nodeinfo/*", "/ap/*"]) app.use(path, fedify);
    app.route("/", objectRoutes(federation, data));
  }

  app.route(
    "/",
    feedDocumentRoutes(deps.feedDocuments, deps.archiveDocuments, {
      renamedTo: (slug) => deps.feeds.renamedTo(slug),
      publicUrl,
    }),
  );
  app.route("/", feedArtworkRoutes(siteName));
  if (deps.siteDocuments) app.route("/", siteDocumentRoutes(deps.siteDocuments, publicUrl));
  if (deps.tagDocuments && deps.tagStories) {
    app.route(
      "/",
      tagRoutes({
        documents: deps.tagDocuments,
        stories: deps.tagStories,
        publicUrl,
        siteName: deps.siteName,
      }),
    );
  }
  if (deps.websub) app.route("/", websubRoutes(deps.websub, Math.min(maxBodyBytes, 16 * 1024)));
  app.route("/", healthRoutes(deps.checkDatabase));
  if (deps.metricsEndpoint) app.route("/", metricsRoutes(deps.metricsEndpoint));

  const admin = new Hono<AdminEnv>();
  admin.get("/openapi.json", (c) => c.json(openApiDocument(publicUrl)));
  admin.use(
    "*",
    adminAuth({
      adminToken: deps.adminToken,
      tokens: deps.adminTokens,
      audit: deps.audit,
      clientAddress: clientAddressOf,
      clock,
      logger,
    }),
  );
  admin.route(
    "/articles",
    adminArticleRoutes({
      articles: deps.articles,
      liveUpdates: deps.liveUpdates,
      clock,
      publicUrl,
      maxBodyBytes,
      maxArticleBytes: deps.articleMaxBytes ?? DEFAULT_LIMITS.articleMaxBytes,
      onPublished: (articleId) => deps.articlePages.warm(articleId),
    }),
  );
  if (deps.views) admin.route("/feeds", adminFollowerRoutes(deps.views.followerList));
  admin.route("/feeds", adminFeedRoutes({ feeds: deps.feeds, publicUrl, maxBodyBytes }));
  if (deps.adminTokens) {
    admin.route("/tokens", adminTokenRoutes({ tokens: deps.adminTokens, clock, maxBodyBytes }));
  }
  if (deps.views) admin.route("/audit", adminAuditRoutes(deps.views.auditLog));
  if (deps.views) admin.route("/", adminDeliveryRoutes(deps.views.deliveries));
  if (deps.views) {
    admin.route("/websub", adminWebSubRoutes(deps.views.websubSubscriptions, clock));
  }
  if (deps.moderation) {
    const blockList = deps.blockList;
    // A block takes the blocked side's likes and replies off every page.
    const onBlocksChanged = () => {
      blockList?.invalidate();
      deps.articlePages.invalidateAll();
    };
    admin.route(
      "/blocks",
      adminBlockRoutes({
        moderation: deps.moderation,
        clock,
        maxBodyBytes,
        resolveActor: deps.federation
          ? actorResolver(deps.federation.federation, deps.federation.data)
          : undefined,
        onBlocksChanged,
      }),
    );
    admin.route(
      "/",
      adminModerationRoutes({
        moderation: deps.moderation,
        clock,
        maxBodyBytes,
        onBlocksChanged,
        onReplyModerated: (articleId) => deps.articlePages.invalidateArticle(articleId),
      }),
    );
  }
  app.route("/admin", admin);

  app.get("/problems/:name", (c) => {
    const known = Object.values(PROBLEM_TYPES).find(
      (p) => p.type === `/problems/${c.req.param("name")}`,
    );
    if (!known) return problemResponse(problem("notFound", "No such problem type"));
    return c.text(
      `${known.title} (HTTP ${known.status})\n\nSee the response's "detail" and "errors" fields for what to change.\n`,
    );
  });

  if (deps.views) {
    app.route(
      "/",
      liveStreamRoutes({
        articles: deps.articles,
        stream: deps.views.liveStream,
        clock,
        publicUrl,
      }),
    );
  }

  // Last: its `/{slug}` feed pages must not shadow any other first-level path.
  app.route(
    "/",
    pageRoutes({
      articles: deps.articles,
      feeds: deps.feeds,
      clock,
      publicUrl,
      siteName,
      views: deps.views,
      federated: deps.federation !== undefined,
      renderedPages: deps.renderedPages,
      articlePages: deps.articlePages,
    }),
  );

  // Browsers get an HTML page; the admin API, ActivityPub and JSON clients problem+json.
  app.notFound((c) =>
    /^\/(admin|ap|\.well-known|nodeinfo)(\/|$)/.test(c.req.path)
      ? problemResponse(problem("notFound", "Nothing lives at this address"))
      : notFound(c, { publicUrl, siteName }, "Nothing lives at this address"),
  );

  app.onError((error, c) => {
    if (error instanceof ProblemError) {
      const headers: Record<string, string> =
        error.problem.status === 401 ? { "www-authenticate": 'Bearer realm="tidings-admin"' } : {};
      return problemResponse(error.problem, headers);
    }
    if (error instanceof HTTPException) {
      return problemResponse({
        type: "about:blank",
        title: error.message || "HTTP error",
        status: error.status,
      });
    }
    if (error instanceof RequestAbortedError) {
      logger.info("request aborted by the client", { method: c.req.method, path: c.req.path });
      return problemResponse(problem("requestAborted", error.message));
    }
    const unavailable = unavailableReason(error);
    if (unavailable) {
      logger.warn(`${c.req.method} ${c.req.path}: 503, database unavailable (${unavailable})`);
      return unavailableResponse("The database is not reachable; try again shortly");
    }
    logger.error("unhandled error", { method: c.req.method, path: c.req.path, error });
    return problemResponse(
      problem("internal", "Something went wrong on our side; nothing was changed"),
    );
  });

  app.fetch = answeringHead(app.fetch);
  return app;
}
