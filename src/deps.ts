import { type Config, DEFAULT_LIMITS, defaultSiteName } from "./config.ts";
import { createArticleService } from "./domain/article-service.ts";
import { createFeedService } from "./domain/feed-service.ts";
import { uuidv7 } from "./domain/ids.ts";
import type { Clock, FeedsChangedListener } from "./domain/ports.ts";
import type { FederationRuntime } from "./federation/runtime.ts";
import { RenderedPageCache } from "./http/rendered-page-cache.ts";
import type { Logger } from "./logger.ts";
import { type Metrics, type MetricsExposition, secondsSince } from "./observability/metrics.ts";
import type { Stores } from "./storage/stores.ts";
import { FeedDocumentCache } from "./syndication/feed-document-cache.ts";
import { loadFeedSnapshot } from "./syndication/feed-snapshot.ts";
import { renderFeedDocuments } from "./syndication/render-feed-documents.ts";

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

  const feedDocuments = new FeedDocumentCache({
    load: (slug) => loadFeedSnapshot(runner.repos, slug, config.feedItemLimit, clock),
    render: metrics
      ? (snapshot) => {
          const start = performance.now();
          const rendered = renderFeedDocuments({ ...snapshot, ...renderOptions });
          metrics.feedRender(secondsSince(start));
          return rendered;
        }
      : (snapshot) => renderFeedDocuments({ ...snapshot, ...renderOptions }),
    clock,
    onError: (error, slug) => logger.error("feed render failed", { slug, error }),
    maxAgeMs: options.feedDocumentMaxAgeMs,
    maxBytes: config.feedCacheMaxBytes ?? DEFAULT_LIMITS.feedCacheMaxBytes,
    precompress: options.precompressFeedDocuments,
  });
  // The Worker's isolates hear nothing of each other's changes: there, nothing is reused.
  const renderedPages = new RenderedPageCache(
    options.feedDocumentMaxAgeMs === 0 ? { ttlMs: 0 } : {},
  );
  const onFeedsChanged = (slugs: readonly string[]) => {
    feedDocuments.invalidate(slugs);
    renderedPages.clear();
    // The change committed outbox entries too: relay them now, not at the next poll.
    options.federation?.relay.wake();
    options.onFeedsChanged?.(slugs);
  };

  return {
    instanceId: stores.instanceId,
    /** For the change listener: another process changed these feeds ("all": may have missed some). */
    onExternalFeedChange: (slugs: readonly string[] | "all") => {
      renderedPages.clear();
      if (slugs === "all") feedDocuments.invalidateAll();
      else feedDocuments.invalidate(slugs);
    },
    publicUrl: config.publicUrl,
    siteName: config.siteName ?? defaultSiteName(config.publicUrl),
    adminToken: config.adminToken,
    maxBodyBytes: config.maxBodyBytes,
    inboxMaxBodyBytes: config.inboxMaxBodyBytes,
    inboxRateLimit: config.inboxRateLimit,
    articleMaxBytes: config.articleMaxBytes,
    clock,
    logger,
    feedDocuments,
    articles: createArticleService({ db: runner, clock, newId: uuidv7, onFeedsChanged }),
    feeds: createFeedService({ db: runner, clock, onFeedsChanged }),
    federation: options.federation,
    views: stores.views,
    adminTokens: stores.access.tokens,
    audit: stores.access.audit,
    moderation: stores.moderation,
    blockList: stores.blockList,
    renderedPages,
    checkDatabase: stores.checkDatabase,
    metrics,
    metricsEndpoint: options.metricsEndpoint,
  };
}

export type Deps = ReturnType<typeof createDeps>;
