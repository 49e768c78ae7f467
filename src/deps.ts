import {
  type Config,
  DEFAULT_FEED_ARCHIVE_PAGE_SIZE,
  DEFAULT_LIMITS,
  DEFAULT_LIVE_POLL_SECONDS,
  defaultSiteName,
} from "./config.ts";
import { createArticleService } from "./domain/article-service.ts";
import { createFeedService } from "./domain/feed-service.ts";
import { uuidv7 } from "./domain/ids.ts";
import { createLiveUpdateService } from "./domain/live-update-service.ts";
import type { Clock, FeedsChangedListener } from "./domain/ports.ts";
import { createAddressGuard } from "./federation/address-guard.ts";
import type { FederationRuntime } from "./federation/runtime.ts";
import { ArticlePageCache } from "./http/article-page-cache.ts";
import { RenderedPageCache } from "./http/rendered-page-cache.ts";
import type { Logger } from "./logger.ts";
import { type Metrics, type MetricsExposition, secondsSince } from "./observability/metrics.ts";
import type { Stores } from "./storage/stores.ts";
import { archiveKeySlug, loadArchiveSnapshot } from "./syndication/archive-snapshot.ts";
import type { CallbackPoster } from "./syndication/fat-ping.ts";
import { FeedDocumentCache, type FeedSnapshot } from "./syndication/feed-document-cache.ts";
import {
  loadFeedSnapshot,
  loadTagSnapshot,
  nextScheduledChange,
} from "./syndication/feed-snapshot.ts";
import { renderFeedDocuments } from "./syndication/render-feed-documents.ts";
import { SiteDocumentCache } from "./syndication/site-document-cache.ts";
import { siteDocumentBuilders } from "./syndication/site-documents.ts";
import { VersionedFeedDocuments } from "./syndication/versioned-feed-documents.ts";
import {
  WebSubDistribution,
  type WebSubDistributionLimits,
} from "./syndication/websub-distribution.ts";
import {
  DEFAULT_WEBSUB_LIMITS,
  WebSubHub,
  type WebSubHubLimits,
} from "./syndication/websub-hub.ts";

export type DepsConfig = Pick<
  Config,
  "publicUrl" | "adminToken" | "maxBodyBytes" | "feedItemLimit"
> &
  Partial<
    Pick<
      Config,
      | "feedArchivePageSize"
      | "siteName"
      | "inboxMaxBodyBytes"
      | "articleMaxBytes"
      | "feedMaxBytes"
      | "feedCacheMaxBytes"
      | "inboxRateLimit"
      | "authorizedFetch"
      | "federationAllowPrivateAddress"
      | "livePollSeconds"
      | "articlePageCacheMaxBytes"
    >
  >;

export const systemClock: Clock = { now: () => new Date() };

export interface WebSubOptions {
  readonly limits?: Partial<WebSubHubLimits & WebSubDistributionLimits>;
  /** Distribution jobs run at once by this process (WEBSUB_CONCURRENCY; default 256). */
  readonly concurrency?: number;
  /** PostgreSQL URL for LISTEN wake-ups between processes; unset on PGlite. */
  readonly databaseUrl?: string | undefined;
  /** How long a job stays leased by a process that stalls (DELIVERY_LEASE_MS). */
  readonly leaseMs?: number;
  /** First retry delay of a failed delivery, doubled per attempt (default 1 s). */
  readonly retryDelayMs?: number;
  /** Sends the pings (Node: keep-alive node:http behind the address guard); default fetch. */
  readonly poster?: CallbackPoster;
  /** Keeps a verification alive after the response (the Worker's waitUntil). */
  readonly background?: (work: Promise<void>) => void;
}

/** Tries of one WebSub delivery: 1 s, 2 s, 4 s, 8 s, 16 s between them. */
const WEBSUB_MAX_ATTEMPTS = 6;

/** The one place that wires concrete stores, services and caches together. */
export function createDeps(options: {
  config: DepsConfig;
  /** What reads and writes the database (src/storage/stores.ts). */
  stores: Stores;
  logger: Logger;
  clock?: Clock;
  federation?: FederationRuntime;
  /** Also told after a commit which feeds changed (the Worker purges its edge cache). */
  onFeedsChanged?: FeedsChangedListener;
  /** Longest a rendered feed document is reused; see FeedDocumentCacheDeps.maxAgeMs. */
  feedDocumentMaxAgeMs?: number;
  /** Keep gzip/brotli copies of feed documents (default true; the Worker's edge compresses). */
  precompressFeedDocuments?: boolean;
  /** The WebSub hub's limits and how its distribution queue runs (from config). */
  websub?: WebSubOptions;
  /** Told of every article page render (tests count them: a stampede must cause one). */
  onArticlePageRender?: (articleId: string) => void;
  /** Where requests and feed renders are counted (src/observability/); unset: metrics off. */
  metrics?: Metrics;
  /** `GET /metrics` on the app's port for this bearer token (METRICS_TOKEN). */
  metricsEndpoint?: { readonly exposition: MetricsExposition; readonly token: string };
}) {
  const { config, stores, logger } = options;
  const clock = options.clock ?? systemClock;
  const runner = stores.transactions;
  const { metrics } = options;
  const renderOptions = {
    publicUrl: config.publicUrl,
    maxBytes: config.feedMaxBytes ?? DEFAULT_LIMITS.feedMaxBytes,
  };

  const render = (snapshot: FeedSnapshot) => {
    const start = performance.now();
    const rendered = renderFeedDocuments({ ...snapshot, ...renderOptions });
    metrics?.feedRender(secondsSince(start));
    return rendered;
  };
  const feedCacheMaxBytes = config.feedCacheMaxBytes ?? DEFAULT_LIMITS.feedCacheMaxBytes;
  /** A cache of rendered feed documents, for section and story feeds, tags or archive pages. */
  const documentCache = (
    what: string,
    load: (key: string) => Promise<FeedSnapshot | undefined>,
    policy: { readonly maxBytes: number; readonly rebuildOnInvalidate: boolean } = {
      maxBytes: feedCacheMaxBytes,
      rebuildOnInvalidate: true,
    },
  ) =>
    new FeedDocumentCache({
      load,
      render,
      clock,
      onError: (error, key) => logger.error(`${what} render failed`, { [what]: key, error }),
      maxAgeMs: options.feedDocumentMaxAgeMs,
      precompress: options.precompressFeedDocuments,
      ...policy,
    });
  const archive = {
    pageSize: config.feedArchivePageSize ?? DEFAULT_FEED_ARCHIVE_PAGE_SIZE,
    publicUrl: config.publicUrl,
  };
  const feedDocuments = documentCache("feed", (slug) =>
    loadFeedSnapshot(runner.repos, slug, config.feedItemLimit, clock, archive),
  );
  // Archive pages (RFC 5005), keyed `slug/page`: a feed's change drops its pages only, to be
  // rendered when next read (a publish must not re-render a hundred pages that come out the
  // same). A quarter of the feeds' memory: they are read far less, and full ones are cached by
  // readers for a year, so a crawler walking every page of every feed costs renders, not heap.
  const archiveDocuments = documentCache(
    "archive",
    (key) => loadArchiveSnapshot(runner.repos, key, clock, archive),
    { maxBytes: Math.floor(feedCacheMaxBytes / 4), rebuildOnInvalidate: false },
  );
  // Tags as feeds: the same kind of cache, keyed by tag; any change may touch any tag, so all go.
  const tagStories = (tag: string) =>
    loadTagSnapshot(runner.repos, tag, config.feedItemLimit, clock, config.publicUrl);
  const tagDocuments = documentCache("tag", tagStories);
  const siteName = config.siteName ?? defaultSiteName(config.publicUrl);
  // OPML and sitemaps: any change may touch them, so every change drops them all.
  const siteDocuments = new SiteDocumentCache({
    builders: siteDocumentBuilders({
      feeds: runner.repos.feeds,
      sitemap: stores.views.sitemap,
      publicUrl: config.publicUrl,
      siteName,
      clock,
    }),
    clock,
    maxAgeMs: options.feedDocumentMaxAgeMs,
    precompress: options.precompressFeedDocuments,
  });
  // The Worker's isolates hear nothing of each other's changes: there, nothing is reused.
  // On the app's clock, so an embargo lifting (which nobody announces) ends a cached page too.
  const renderedPages = new RenderedPageCache({
    now: () => clock.now().getTime(),
    ...(options.feedDocumentMaxAgeMs === 0 ? { ttlMs: 0 } : {}),
  });
  // Callbacks are held to the same address policy as followers' inboxes.
  const addressGuard =
    options.federation?.data.addressGuard ??
    createAddressGuard({ allowPrivateAddress: config.federationAllowPrivateAddress ?? false });
  const websubOptions = options.websub ?? {};
  const websubLimits = websubOptions.limits ?? {};
  const distribution = stores.websubDistribution;
  const websubDistribution = new WebSubDistribution({
    publicUrl: config.publicUrl,
    store: distribution.store,
    // Its own documents: a delivery job may need a version this process has not heard of yet.
    documents: new VersionedFeedDocuments({
      documents: new FeedDocumentCache({
        load: (slug) => loadFeedSnapshot(runner.repos, slug, config.feedItemLimit, clock, archive),
        render: (snapshot) => renderFeedDocuments({ ...snapshot, ...renderOptions }),
        clock,
        onError: (error, slug) => logger.error("websub render failed", { feed: slug, error }),
        precompress: false,
        maxBytes: feedCacheMaxBytes,
      }),
      currentVersion: (slug) => distribution.store.feedVersion(slug),
    }),
    clock,
    logger,
    limits: {
      timeoutMs: websubLimits.timeoutMs ?? DEFAULT_WEBSUB_LIMITS.timeoutMs,
      maxAttempts: websubLimits.maxAttempts ?? WEBSUB_MAX_ATTEMPTS,
    },
    queue: distribution.queue({
      concurrency: websubOptions.concurrency ?? DEFAULT_LIMITS.websubConcurrency,
      databaseUrl: websubOptions.databaseUrl,
      leaseMs: websubOptions.leaseMs,
      retryDelayMs: websubOptions.retryDelayMs,
      logger,
    }),
    nextScheduledChange: (slug) => nextScheduledChange(runner.repos, slug, clock.now()),
    ...(websubOptions.poster ? { poster: websubOptions.poster } : {}),
  });
  const websub = new WebSubHub({
    publicUrl: config.publicUrl,
    repo: stores.websub,
    clock,
    logger,
    checkCallback: (url) => addressGuard.checkUrl(url),
    document: (slug, format) => feedDocuments.get(slug, format),
    limits: websubLimits,
    onSubscribed: (slug) => websubDistribution.watchSchedule(slug),
    ...(websubOptions.background ? { background: websubOptions.background } : {}),
  });
  /**
   * Drops everything rendered from these feeds, in this process ("all": a change may have been
   * missed). Tags, site documents and the front page may hold any feed's stories, so all go.
   */
  const dropRendered = (slugs: readonly string[] | "all") => {
    if (slugs === "all") {
      feedDocuments.invalidateAll();
      archiveDocuments.invalidateAll();
      articlePages.invalidateAll();
    } else {
      feedDocuments.invalidate(slugs);
      archiveDocuments.invalidateWhere((key) => slugs.includes(archiveKeySlug(key)));
      articlePages.invalidateFeeds(slugs);
    }
    tagDocuments.invalidateAll();
    siteDocuments.invalidate();
    renderedPages.clear();
  };
  const onFeedsChanged = (slugs: readonly string[]) => {
    dropRendered(slugs);
    // The change queued its WebSub topic jobs in its transaction: this process takes them now.
    websubDistribution.wake();
    // The change committed outbox entries too: relay them now, not at the next poll.
    options.federation?.relay.wake();
    options.onFeedsChanged?.(slugs);
  };

  // A like, boost or reply received here changes that article's page alone.
  if (options.federation) {
    options.federation.data.onInteraction = (articleId) =>
      articlePages.invalidateArticle(articleId);
  }

  // An embargo lifting is a change nobody commits: the relay says when (it sends the Create).
  if (options.federation) {
    // A release commits nothing that queues a WebSub topic job, so the relay queues one.
    // Announced once the jobs are queued, so that what the announcement starts (a Worker's
    // WebSub drain) finds them.
    options.federation.relay.onRelease = (slugs) => {
      void websubDistribution
        .released(slugs)
        .catch((error: unknown) =>
          options.logger.warn("websub: could not queue the release's distribution", { error }),
        )
        .finally(() => onFeedsChanged(slugs));
    };
  }

  const articles = createArticleService({ db: runner, clock, newId: uuidv7, onFeedsChanged });
  const feeds = createFeedService({ db: runner, clock, onFeedsChanged });
  // Built on the first read after each change; on Workers (maxAge 0) only shared by concurrent
  // readers, like feed documents there.
  const articlePages = new ArticlePageCache(
    {
      articles,
      feeds,
      clock,
      publicUrl: config.publicUrl,
      siteName,
      views: stores.views,
      pollSeconds: config.livePollSeconds ?? DEFAULT_LIVE_POLL_SECONDS,
    },
    {
      maxAgeMs: options.feedDocumentMaxAgeMs,
      maxBytes: config.articlePageCacheMaxBytes,
      precompress: options.precompressFeedDocuments,
      onRender: options.onArticlePageRender,
    },
  );

  return {
    instanceId: stores.instanceId,
    /** For the change listener: another process changed these feeds ("all": may have missed some). */
    onExternalFeedChange: dropRendered,
    publicUrl: config.publicUrl,
    siteName,
    adminToken: config.adminToken,
    maxBodyBytes: config.maxBodyBytes,
    inboxMaxBodyBytes: config.inboxMaxBodyBytes,
    inboxRateLimit: config.inboxRateLimit,
    articleMaxBytes: config.articleMaxBytes,
    clock,
    logger,
    feedDocuments,
    archiveDocuments,
    tagDocuments,
    tagStories,
    siteDocuments,
    articles,
    liveUpdates: createLiveUpdateService({ db: runner, clock, newId: uuidv7, onFeedsChanged }),
    feeds,
    articlePages,
    federation: options.federation,
    views: stores.views,
    adminTokens: stores.access.tokens,
    audit: stores.access.audit,
    deskSessions: stores.access.deskSessions,
    moderation: stores.moderation,
    blockList: stores.blockList,
    renderedPages,
    websub,
    websubDistribution,
    checkDatabase: stores.checkDatabase,
    metrics,
    metricsEndpoint: options.metricsEndpoint,
  };
}

export type Deps = ReturnType<typeof createDeps>;
