import { type Config, DEFAULT_LIMITS, defaultSiteName } from "./config.ts";
import { createArticleService } from "./domain/article-service.ts";
import { createFeedService } from "./domain/feed-service.ts";
import { uuidv7 } from "./domain/ids.ts";
import { createLiveUpdateService } from "./domain/live-update-service.ts";
import type { Clock, FeedsChangedListener } from "./domain/ports.ts";
import { createAddressGuard } from "./federation/address-guard.ts";
import type { FederationRuntime } from "./federation/runtime.ts";
import { RenderedPageCache } from "./http/rendered-page-cache.ts";
import type { Logger } from "./logger.ts";
import { type Metrics, type MetricsExposition, secondsSince } from "./observability/metrics.ts";
import type { Stores } from "./storage/stores.ts";
import { FeedDocumentCache, type FeedSnapshot } from "./syndication/feed-document-cache.ts";
import { loadFeedSnapshot, loadTagSnapshot } from "./syndication/feed-snapshot.ts";
import { renderFeedDocuments } from "./syndication/render-feed-documents.ts";
import { SiteDocumentCache } from "./syndication/site-document-cache.ts";
import { siteDocumentBuilders } from "./syndication/site-documents.ts";
import { WebSubHub, type WebSubHubLimits } from "./syndication/websub-hub.ts";

export type DepsConfig = Pick<
  Config,
  "publicUrl" | "adminToken" | "maxBodyBytes" | "feedItemLimit"
> &
  Partial<
    Pick<
      Config,
      | "siteName"
      | "inboxMaxBodyBytes"
      | "articleMaxBytes"
      | "feedMaxBytes"
      | "feedCacheMaxBytes"
      | "inboxRateLimit"
      | "authorizedFetch"
      | "federationAllowPrivateAddress"
      | "livePollSeconds"
    >
  >;

export const systemClock: Clock = { now: () => new Date() };

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
  /** The WebSub hub's limits (config) and, in tests, its waits between retries. */
  websub?: {
    readonly limits?: Partial<WebSubHubLimits>;
    readonly sleep?: (ms: number) => Promise<void>;
  };
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
  /** A cache of rendered feed documents, for section and story feeds or for tags. */
  const documentCache = (what: string, load: (key: string) => Promise<FeedSnapshot | undefined>) =>
    new FeedDocumentCache({
      load,
      render,
      clock,
      onError: (error, key) => logger.error(`${what} render failed`, { [what]: key, error }),
      maxAgeMs: options.feedDocumentMaxAgeMs,
      maxBytes: config.feedCacheMaxBytes ?? DEFAULT_LIMITS.feedCacheMaxBytes,
      precompress: options.precompressFeedDocuments,
    });
  const feedDocuments = documentCache("feed", (slug) =>
    loadFeedSnapshot(runner.repos, slug, config.feedItemLimit, clock),
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
  const websub = new WebSubHub({
    publicUrl: config.publicUrl,
    repo: stores.websub,
    clock,
    logger,
    checkCallback: (url) => addressGuard.checkUrl(url),
    document: (slug, format) => feedDocuments.get(slug, format),
    ...(options.websub?.limits ? { limits: options.websub.limits } : {}),
    ...(options.websub?.sleep ? { sleep: options.websub.sleep } : {}),
  });
  const onFeedsChanged = (slugs: readonly string[]) => {
    feedDocuments.invalidate(slugs);
    tagDocuments.invalidateAll();
    siteDocuments.invalidate();
    renderedPages.clear();
    websub.feedsChanged(slugs);
    // The change committed outbox entries too: relay them now, not at the next poll.
    options.federation?.relay.wake();
    options.onFeedsChanged?.(slugs);
  };

  // An embargo lifting is a change nobody commits: the relay says when (it sends the Create).
  if (options.federation) options.federation.relay.onRelease = onFeedsChanged;

  return {
    instanceId: stores.instanceId,
    /** For the change listener: another process changed these feeds ("all": may have missed some). */
    onExternalFeedChange: (slugs: readonly string[] | "all") => {
      renderedPages.clear();
      tagDocuments.invalidateAll();
      siteDocuments.invalidate();
      if (slugs === "all") feedDocuments.invalidateAll();
      else feedDocuments.invalidate(slugs);
    },
    publicUrl: config.publicUrl,
    siteName,
    adminToken: config.adminToken,
    maxBodyBytes: config.maxBodyBytes,
    inboxMaxBodyBytes: config.inboxMaxBodyBytes,
    inboxRateLimit: config.inboxRateLimit,
    articleMaxBytes: config.articleMaxBytes,
    livePollSeconds: config.livePollSeconds,
    clock,
    logger,
    feedDocuments,
    tagDocuments,
    tagStories,
    siteDocuments,
    articles: createArticleService({ db: runner, clock, newId: uuidv7, onFeedsChanged }),
    liveUpdates: createLiveUpdateService({ db: runner, clock, newId: uuidv7, onFeedsChanged }),
    feeds: createFeedService({ db: runner, clock, onFeedsChanged }),
    federation: options.federation,
    views: stores.views,
    adminTokens: stores.access.tokens,
    audit: stores.access.audit,
    moderation: stores.moderation,
    blockList: stores.blockList,
    renderedPages,
    websub,
    checkDatabase: stores.checkDatabase,
    metrics,
    metricsEndpoint: options.metricsEndpoint,
  };
}

export type Deps = ReturnType<typeof createDeps>;
