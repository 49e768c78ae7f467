import type { Hono } from "hono";
import { createApp } from "../../app.ts";
import type { Config } from "../../config.ts";
import { createDeps, systemClock } from "../../deps.ts";
import {
  createFederationRuntime,
  type FederationRuntime,
  federationOptionsFromConfig,
} from "../../federation/runtime.ts";
import { CloudflareMessageQueue } from "../../fedify-kysely/index.ts";
import type { Logger } from "../../logger.ts";
import { createDatabase, type Db } from "../../storage/database.ts";
import { createStores } from "../../storage/stores.ts";
import { defaultCache } from "./cloudflare.ts";
import { configFromEnv, type WorkerEnv } from "./env.ts";
import { FeedEdgeCache } from "./feed-edge-cache.ts";
import { currentInvocation, invocationPool } from "./invocation-scope.ts";
import { createWorkerLogger } from "./worker-logger.ts";

/** Everything the Worker builds once per isolate and reuses across its invocations. */
export interface WorkerRuntime {
  readonly config: Config;
  readonly logger: Logger;
  readonly db: Db;
  readonly app: Hono;
  readonly federation: FederationRuntime;
  readonly edgeCache: FeedEdgeCache;
  /** Runs one message of Fedify's queue (inbox, fan-out or outbox work). */
  processQueuedTask(body: unknown): Promise<void>;
  /** Sends the WebSub pings that are due (after a change; the Cron Trigger for the rest). */
  drainWebSub(): Promise<void>;
}

/**
 * The same wiring as the Node entry — createDeps, createFederationRuntime (the federation
 * builder), createApp — with the Worker's storage: PostgreSQL through Hyperdrive with
 * connections per invocation, Fedify's queue on Cloudflare Queues, and feed documents in the
 * Cache API. Fedify's KvStore stays on PostgreSQL (`fedify_kv`): it is strongly consistent and
 * supports compare-and-swap, which Workers KV (eventually consistent, no CAS) does not.
 */
export async function createWorkerRuntime(env: WorkerEnv): Promise<WorkerRuntime> {
  const config = configFromEnv(env);
  const logger = createWorkerLogger(config.logLevel);
  if (config.metricsToken !== undefined || config.metricsPort !== undefined) {
    logger.warn("METRICS_TOKEN and METRICS_PORT are for Node: the Worker serves no /metrics");
  }
  const db = createDatabase({ pool: invocationPool });
  const stores = createStores(db);
  const federation = await createFederationRuntime({
    ...federationOptionsFromConfig(config),
    storage: stores.federation,
    logger,
    clock: systemClock,
    // No LISTEN on Workers: a connection cannot outlive its invocation.
    databaseUrl: undefined,
    queue: new CloudflareMessageQueue(env.DELIVERY_QUEUE),
    // A quote's Accept, committed by an inbox listener in a queue batch: relayed in that batch.
    onOutboxWork: (relay) => currentInvocation().defer(relay.drain()),
  });
  const edgeCache = new FeedEdgeCache({ cache: defaultCache(), publicUrl: config.publicUrl });
  const deps = createDeps({
    config,
    stores,
    logger,
    federation,
    websub: {
      limits: {
        subscriptionsPerHost: config.websubMaxSubscriptionsPerHost,
        subscriptions: config.websubMaxSubscriptions,
        timeoutMs: config.websubTimeoutMs,
      },
      concurrency: config.websubConcurrency,
      leaseMs: config.deliveryLeaseMs,
      // A verification outlives the 202 only inside the invocation's waitUntil.
      background: (work) => currentInvocation().defer(work),
    },
    // Other isolates change feeds without telling this one: never reuse a rendered document
    // across requests (the Cache API in front of it is what saves PostgreSQL the work).
    feedDocumentMaxAgeMs: 0,
    // The edge stores and compresses the plain document; gzip and brotli copies would be waste.
    precompressFeedDocuments: false,
    onFeedsChanged: (slugs) => {
      // After the commit, in the writing invocation: clear the edge copies and announce the
      // change to followers now (no long-running relay on Workers; the cron catches leftovers).
      const invocation = currentInvocation();
      invocation.defer(edgeCache.purge(slugs));
      invocation.defer(federation.relay.drain());
      // Nothing listens to the WebSub queue here: the change's pings go out in this invocation.
      // (Called after a commit, once `deps` is built.)
      invocation.defer(deps.websubDistribution.drain());
    },
  });
  return {
    config,
    logger,
    db,
    app: createApp(deps),
    federation,
    edgeCache,
    // Through the runtime, not Fedify directly: the same checks run as in front of a Node queue.
    processQueuedTask: (body) => federation.processQueuedTask(body),
    drainWebSub: () => deps.websubDistribution.drain(),
  };
}
