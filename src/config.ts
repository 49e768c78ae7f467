import { z } from "zod";

/**
 * The only reader of environment variables. `parseConfig` is pure: entries pass `process.env`
 * (Node) or the Worker `env`, and get back a frozen object or one error listing every bad variable.
 */
export interface Config {
  readonly port: number;
  /** Origin used in every id and link, without a trailing slash. */
  readonly publicUrl: string;
  /** The newsroom's name on reader pages (default: PUBLIC_URL's host). */
  readonly siteName: string;
  readonly databaseUrl: string | undefined;
  readonly dataDir: string;
  readonly adminToken: string | undefined;
  readonly feedItemLimit: number;
  /**
   * Articles per archive page (RFC 5005, `/feeds/{slug}/archive/{n}.rss`): page n holds the
   * feed's articles (n-1)*size+1 .. n*size, oldest first. Changing it moves every boundary.
   */
  readonly feedArchivePageSize: number;
  readonly maxBodyBytes: number;
  /** Largest article body in bytes of sanitised HTML (422 above it). */
  readonly articleMaxBytes: number;
  /** Largest feed document; items past it carry their summary and a link instead of the story. */
  readonly feedMaxBytes: number;
  /** Memory for rendered feed documents (all formats and codings); least recently read go first. */
  readonly feedCacheMaxBytes: number;
  /** Largest ActivityPub inbox POST body; larger ones get 413 before anything parses them. */
  readonly inboxMaxBodyBytes: number;
  readonly feedsDir: string;
  readonly logLevel: LogLevel;
  /** Tests only: lets federation reach loopback and private addresses. */
  readonly federationAllowPrivateAddress: boolean;
  /**
   * Deliveries one process has in flight at once: most of a delivery is waiting on the remote
   * server, so many can be; the event loop bounds the CPU side by itself.
   */
  readonly deliveryConcurrency: number;
  /** Of those, at most this many to one remote host. */
  readonly deliveryPerHost: number;
  /** WebSub hub: live subscriptions per callback host, POST/GET timeout, deliveries at once. */
  readonly websubMaxSubscriptionsPerHost: number;
  readonly websubMaxSubscriptions: number;
  readonly websubTimeoutMs: number;
  readonly websubConcurrency: number;
  /**
   * How long a claimed delivery stays reserved. Live consumers renew it; a process that died
   * (kill -9) holds its deliveries this long before another process takes them over.
   */
  readonly deliveryLeaseMs: number;
  /** Days the delivery record keeps a publish's outcomes per server; 0: no record is kept. */
  readonly deliveryRecordDays: number;
  /**
   * Who sends a delivery: `direct` sends the plain case (a first attempt to a known, healthy
   * server) itself and leaves the rest to Fedify; `fedify` leaves every POST to Fedify.
   */
  readonly deliverySender: DeliverySender;
  /** Where the direct sender signs: libuv's thread pool (default) or the event loop. */
  readonly deliverySigning: DeliverySigning;
  /**
   * Signed inbox POSTs one remote server may make per minute (429 with Retry-After past it),
   * counted per process. 0 turns the limit off.
   */
  readonly inboxRateLimit: number;
  /**
   * Mastodon's "secure mode": objects and collections only for signed GETs from servers that
   * are not blocked; unsigned GETs of an actor get its public key and inboxes only.
   */
  readonly authorizedFetch: boolean;
  /** Bearer token that opens `GET /metrics` on the app's port (unset: no /metrics there). */
  readonly metricsToken: string | undefined;
  /** Node: a separate listener serving `GET /metrics` only, without a token (unset: none). */
  readonly metricsPort: number | undefined;
  /**
   * OTEL_EXPORTER_OTLP_ENDPOINT: an OTLP/HTTP collector (`http://collector:4318`) that gets
   * Fedify's traces and metrics as JSON (`/v1/traces`, `/v1/metrics`); unset: nothing is loaded.
   */
  readonly otlpEndpoint: string | undefined;
  /** OTEL_SERVICE_NAME: the `service.name` of what is exported (default `tidings`). */
  readonly otelServiceName: string;
  /** OTEL_METRIC_EXPORT_INTERVAL: milliseconds between metric exports (default 60,000). */
  readonly otelMetricExportIntervalMs: number;
  /** How often an open live article page asks for new updates, in seconds. */
  readonly livePollSeconds: number;
  /** Memory for rendered article pages, every coding (least recently read dropped first). */
  readonly articlePageCacheMaxBytes: number;
}

/**
 * Size limits that keep every combination of defaults inside the 192 MB heap `npm start` gives
 * Node (README, "Limits"). Each can be set by its environment variable.
 */
export const DEFAULT_LIMITS = {
  /** MAX_BODY_BYTES: any admin request body. */
  maxBodyBytes: 1024 * 1024,
  /** INBOX_MAX_BODY_BYTES: an ActivityPub POST (Mastodon's own limit is 1 MB). */
  inboxMaxBodyBytes: 256 * 1024,
  /** ARTICLE_MAX_BYTES: a long read is 10-50 KB of HTML; 256 KiB leaves room for tables. */
  articleMaxBytes: 256 * 1024,
  /** FEED_MAX_BYTES: one feed document (news feeds are mostly under 500 KB). */
  feedMaxBytes: 1024 * 1024,
  /** FEED_CACHE_MAX_BYTES: every rendered feed document held in memory, all codings. */
  feedCacheMaxBytes: 64 * 1024 * 1024,
  /**
   * ARTICLE_PAGE_CACHE_MAX_BYTES: rendered article pages, all codings (a page is 10-60 KB with its
   * gzip and brotli copies, so some hundreds of the pages being read; the rest are rendered again).
   */
  articlePageCacheMaxBytes: 16 * 1024 * 1024,
  /**
   * WEBSUB_CONCURRENCY: WebSub POSTs at once. A slot costs a socket, not memory (every POST of
   * a distribution sends the same bytes). Subscribers answering in 200 ms bound a push at
   * subscribers x 200 ms / slots whatever the CPU: 2,000 of them take 3.1 s at 128 and 1.6 s at
   * 256 (measured 3.6 and 2.1 s), and one that hangs leaves 255 slots (bench/README.md, websub).
   */
  websubConcurrency: 256,
} as const;

/**
 * LIVE_POLL_SECONDS: each open live page makes one conditional GET this often (mostly a bodyless
 * 304), so a thousand readers cost about 70 requests a second at 15 s.
 */
export const DEFAULT_LIVE_POLL_SECONDS = 15;

/** FEED_ARCHIVE_PAGE_SIZE: as many articles as a feed document holds by default. */
export const DEFAULT_FEED_ARCHIVE_PAGE_SIZE = 50;

/** INBOX_RATE_LIMIT: a busy server's shared inbox sends a few a second; a flood, hundreds. */
export const DEFAULT_INBOX_RATE_LIMIT = 1200;

export const DELIVERY_SENDERS = ["direct", "fedify"] as const;
export type DeliverySender = (typeof DELIVERY_SENDERS)[number];

/** Where the direct sender computes its RSA signatures (DELIVERY_SIGNING). */
export const DELIVERY_SIGNINGS = ["thread-pool", "event-loop"] as const;
export type DeliverySigning = (typeof DELIVERY_SIGNINGS)[number];

export const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const emptyAsUndefined = (value: unknown) => (value === "" ? undefined : value);

const integer = (min: number, max: number, fallback: number) =>
  z.preprocess(emptyAsUndefined, z.coerce.number().int().min(min).max(max).default(fallback));

const origin = z
  .url({ protocol: /^https?$/ })
  .transform((value) => new URL(value))
  .refine((url) => url.pathname === "/" && !url.search && !url.hash, {
    message: "must be an origin such as https://news.example (no path, query or fragment)",
  })
  .transform((url) => url.origin);

const schema = z.object({
  PORT: integer(1, 65535, 8000),
  PUBLIC_URL: z.preprocess(emptyAsUndefined, origin.optional()),
  SITE_NAME: z.preprocess(
    emptyAsUndefined,
    z.string().trim().min(1).max(100, "must be at most 100 characters").optional(),
  ),
  DATABASE_URL: z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .regex(/^postgres(ql)?:\/\//, "must be a postgres:// or postgresql:// URL")
      .optional(),
  ),
  DATA_DIR: z.preprocess(emptyAsUndefined, z.string().default("./data")),
  ADMIN_TOKEN: z.preprocess(
    emptyAsUndefined,
    z.string().min(16, "must be at least 16 characters (try: openssl rand -hex 32)").optional(),
  ),
  FEED_ITEM_LIMIT: integer(1, 500, 50),
  FEED_ARCHIVE_PAGE_SIZE: integer(10, 500, DEFAULT_FEED_ARCHIVE_PAGE_SIZE),
  MAX_BODY_BYTES: integer(1024, 50 * 1024 * 1024, DEFAULT_LIMITS.maxBodyBytes),
  INBOX_MAX_BODY_BYTES: integer(1024, 10 * 1024 * 1024, DEFAULT_LIMITS.inboxMaxBodyBytes),
  ARTICLE_MAX_BYTES: integer(1024, 10 * 1024 * 1024, DEFAULT_LIMITS.articleMaxBytes),
  FEED_MAX_BYTES: integer(16 * 1024, 64 * 1024 * 1024, DEFAULT_LIMITS.feedMaxBytes),
  FEED_CACHE_MAX_BYTES: integer(1024 * 1024, 4 * 1024 ** 3, DEFAULT_LIMITS.feedCacheMaxBytes),
  ARTICLE_PAGE_CACHE_MAX_BYTES: integer(
    1024 * 1024,
    4 * 1024 ** 3,
    DEFAULT_LIMITS.articlePageCacheMaxBytes,
  ),
  FEEDS_DIR: z.preprocess(emptyAsUndefined, z.string().default("./feeds")),
  LOG_LEVEL: z.preprocess(emptyAsUndefined, z.enum(LOG_LEVELS).default("info")),
  FEDERATION_ALLOW_PRIVATE_ADDRESS: z.preprocess(
    emptyAsUndefined,
    z
      .enum(["true", "false"], { message: "must be true or false" })
      .default("false")
      .transform((value) => value === "true"),
  ),
  DELIVERY_CONCURRENCY: integer(1, 1000, 256),
  DELIVERY_PER_HOST: integer(1, 1000, 8),
  WEBSUB_MAX_SUBSCRIPTIONS_PER_HOST: integer(1, 1_000_000, 100),
  WEBSUB_MAX_SUBSCRIPTIONS: integer(1, 10_000_000, 100_000),
  WEBSUB_TIMEOUT_MS: integer(100, 600_000, 10_000),
  WEBSUB_CONCURRENCY: integer(1, 1000, DEFAULT_LIMITS.websubConcurrency),
  DELIVERY_LEASE_MS: integer(1000, 3_600_000, 60_000),
  DELIVERY_RECORD_DAYS: integer(0, 3650, 30),
  DELIVERY_SENDER: z.preprocess(emptyAsUndefined, z.enum(DELIVERY_SENDERS).default("direct")),
  DELIVERY_SIGNING: z.preprocess(
    emptyAsUndefined,
    z.enum(DELIVERY_SIGNINGS).default("thread-pool"),
  ),
  INBOX_RATE_LIMIT: integer(0, 1_000_000, DEFAULT_INBOX_RATE_LIMIT),
  AUTHORIZED_FETCH: z.preprocess(
    emptyAsUndefined,
    z
      .enum(["true", "false"], { message: "must be true or false" })
      .default("false")
      .transform((value) => value === "true"),
  ),
  METRICS_TOKEN: z.preprocess(
    emptyAsUndefined,
    z.string().min(16, "must be at least 16 characters (try: openssl rand -hex 32)").optional(),
  ),
  METRICS_PORT: z.preprocess(
    emptyAsUndefined,
    z.coerce.number().int().min(1).max(65535).optional(),
  ),
  LIVE_POLL_SECONDS: integer(1, 600, DEFAULT_LIVE_POLL_SECONDS),
  OTEL_EXPORTER_OTLP_ENDPOINT: z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .regex(/^https?:\/\/[^/?#]+/, "must be an http:// or https:// URL")
      .transform((url) => url.replace(/\/+$/, ""))
      .optional(),
  ),
  OTEL_SERVICE_NAME: z.preprocess(emptyAsUndefined, z.string().max(200).default("tidings")),
  OTEL_METRIC_EXPORT_INTERVAL: integer(1000, 3_600_000, 60_000),
});

/** SITE_NAME when unset: the public host, e.g. `news.example`. */
export function defaultSiteName(publicUrl: string): string {
  return new URL(publicUrl).host;
}

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

export function parseConfig(source: Readonly<Record<string, string | undefined>>): Config {
  const parsed = schema.safeParse(source);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`),
    );
  }
  const env = parsed.data;
  if (env.METRICS_PORT !== undefined && env.METRICS_PORT === env.PORT) {
    throw new ConfigError(["METRICS_PORT: must differ from PORT"]);
  }
  const publicUrl = env.PUBLIC_URL ?? `http://localhost:${env.PORT}`;
  return Object.freeze({
    port: env.PORT,
    publicUrl,
    siteName: env.SITE_NAME ?? defaultSiteName(publicUrl),
    databaseUrl: env.DATABASE_URL,
    dataDir: env.DATA_DIR,
    adminToken: env.ADMIN_TOKEN,
    feedItemLimit: env.FEED_ITEM_LIMIT,
    feedArchivePageSize: env.FEED_ARCHIVE_PAGE_SIZE,
    maxBodyBytes: env.MAX_BODY_BYTES,
    inboxMaxBodyBytes: env.INBOX_MAX_BODY_BYTES,
    articleMaxBytes: env.ARTICLE_MAX_BYTES,
    feedMaxBytes: env.FEED_MAX_BYTES,
    feedCacheMaxBytes: env.FEED_CACHE_MAX_BYTES,
    feedsDir: env.FEEDS_DIR,
    logLevel: env.LOG_LEVEL,
    federationAllowPrivateAddress: env.FEDERATION_ALLOW_PRIVATE_ADDRESS,
    deliveryConcurrency: env.DELIVERY_CONCURRENCY,
    deliveryPerHost: env.DELIVERY_PER_HOST,
    websubMaxSubscriptionsPerHost: env.WEBSUB_MAX_SUBSCRIPTIONS_PER_HOST,
    websubMaxSubscriptions: env.WEBSUB_MAX_SUBSCRIPTIONS,
    websubTimeoutMs: env.WEBSUB_TIMEOUT_MS,
    websubConcurrency: env.WEBSUB_CONCURRENCY,
    deliveryLeaseMs: env.DELIVERY_LEASE_MS,
    deliveryRecordDays: env.DELIVERY_RECORD_DAYS,
    deliverySender: env.DELIVERY_SENDER,
    deliverySigning: env.DELIVERY_SIGNING,
    inboxRateLimit: env.INBOX_RATE_LIMIT,
    authorizedFetch: env.AUTHORIZED_FETCH,
    metricsToken: env.METRICS_TOKEN,
    metricsPort: env.METRICS_PORT,
    otlpEndpoint: env.OTEL_EXPORTER_OTLP_ENDPOINT,
    otelServiceName: env.OTEL_SERVICE_NAME,
    otelMetricExportIntervalMs: env.OTEL_METRIC_EXPORT_INTERVAL,
    livePollSeconds: env.LIVE_POLL_SECONDS,
    articlePageCacheMaxBytes: env.ARTICLE_PAGE_CACHE_MAX_BYTES,
  });
}
