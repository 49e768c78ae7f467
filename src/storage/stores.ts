import type { KvStore, MessageQueue } from "@fedify/fedify";
import { sql } from "kysely";
import { BlockList } from "../domain/block-list.ts";
import { uuidv7 } from "../domain/ids.ts";
import type { TransactionRunner } from "../domain/ports.ts";
import {
  KyselyKvStore,
  KyselyMessageQueue,
  type PerKeyLimitOptions,
} from "../fedify-kysely/index.ts";
import type { Logger } from "../logger.ts";
import { createAdminTokenRepository } from "./admin-token-repository.ts";
import { createArticleRepository } from "./article-repository.ts";
import { createAuditLog } from "./audit-log.ts";
import { connectionOptions, type Db, isEmbeddedDatabase } from "./database.ts";
import { createDeliveryRecordStore } from "./delivery-record-store.ts";
import { createDeskSessionRepository } from "./desk-session-repository.ts";
import { createOutboxRelayStore } from "./federation-outbox.ts";
import { createFeedKeyRepository } from "./feed-key-repository.ts";
import { createFeedRepository } from "./feed-repository.ts";
import { createFollowerRepository } from "./follower-repository.ts";
import { createInstanceKeyRepository } from "./instance-key-repository.ts";
import { createInteractionRepository } from "./interaction-repository.ts";
import { createLiveUpdateRepository } from "./live-update-repository.ts";
import { createModerationStore } from "./moderation-store.ts";
import { createQuoteAuthorizationRepository } from "./quote-authorization-repository.ts";
import { createReportRepository } from "./report-repository.ts";
import { createTransactionRunner } from "./transaction-runner.ts";
import { createArticleHistoryView } from "./views/article-history.view.ts";
import { createArticlePageView } from "./views/article-page.view.ts";
import { createAuditLogView } from "./views/audit-log.view.ts";
import { createDeliveryRecordView } from "./views/delivery-record.view.ts";
import { createDeskView } from "./views/desk.view.ts";
import { createFeedPageView } from "./views/feed-page.view.ts";
import { createFollowerListView } from "./views/follower-list.view.ts";
import { createFrontPageView } from "./views/front-page.view.ts";
import { createLiveStreamView } from "./views/live-stream.view.ts";
import { createMetricsView } from "./views/metrics.view.ts";
import { createSitemapView } from "./views/sitemap.view.ts";
import { createThreadView } from "./views/thread.view.ts";
import { createWebSubSubscriptionListView } from "./views/websub-subscription-list.view.ts";
import { createWebSubDistributionStore, WEBSUB_QUEUE } from "./websub-distribution-store.ts";
import { createWebSubRepository } from "./websub-repository.ts";

/** The read models, one per screen or listing, each owning its result types. */
export function createViews(db: Db) {
  return {
    frontPage: createFrontPageView(db),
    feedPage: createFeedPageView(db),
    articlePage: createArticlePageView(db),
    articleHistory: createArticleHistoryView(db),
    liveStream: createLiveStreamView(db),
    followerList: createFollowerListView(db),
    auditLog: createAuditLogView(db),
    /** The delivery record: a publish per server, remote servers' health (admin, CLI, desk). */
    deliveries: createDeliveryRecordView(db),
    desk: createDeskView(db),
    websubSubscriptions: createWebSubSubscriptionListView(db),
    metrics: createMetricsView(db),
    sitemap: createSitemapView(db),
  };
}

export type Views = ReturnType<typeof createViews>;

/** How a process's delivery queue runs on the database (see KyselyMessageQueue). */
export interface DeliveryQueueSettings {
  readonly concurrency: number;
  /** Deliveries at once per key (the remote host), within `concurrency`. */
  readonly perKey?: PerKeyLimitOptions | undefined;
  /** PostgreSQL URL for LISTEN wake-ups between processes; unset on PGlite. */
  readonly databaseUrl: string | undefined;
  readonly leaseMs?: number | undefined;
  /** First retry delay of a failed message, doubled per attempt (default 1 s). */
  readonly retryDelayMs?: number | undefined;
  readonly logger: Logger;
}

/** A logical queue in `fedify_messages`, run as settings say (Fedify's is "default"). */
function queueOnDatabase(db: Db, settings: DeliveryQueueSettings & { queue?: string }) {
  return new KyselyMessageQueue(db, {
    concurrency: settings.concurrency,
    perKey: settings.perKey,
    logger: settings.logger,
    ...(settings.queue ? { queue: settings.queue } : {}),
    ...(settings.databaseUrl ? { listen: connectionOptions(settings.databaseUrl) } : {}),
    ...(settings.leaseMs ? { leaseMs: settings.leaseMs } : {}),
    ...(settings.retryDelayMs ? { retryDelayMs: settings.retryDelayMs } : {}),
    // A dead consumer's work is taken over in seconds: by lock on PostgreSQL, at start
    // on PGlite (one process); otherwise when its lease runs out.
    takeover: settings.databaseUrl ? "lock" : isEmbeddedDatabase(db) ? "single-process" : "lease",
  });
}

/**
 * Everything that reads or writes the database, built once per process from its handle: the
 * domain's transactions, federation's repositories and Fedify's storage, the views. Only the
 * entries hold the handle itself; everyone else gets what is built here, by name.
 */
export function createStores(db: Db) {
  /** Names this process in cross-process change notifications. */
  const instanceId = uuidv7();
  const moderation = createModerationStore(db);
  /** One per process: the app reloads it after a block, the inbox and deliveries read it. */
  const blockList = new BlockList(() => moderation.blocks.all());
  return {
    instanceId,
    transactions: createTransactionRunner(db, instanceId) as TransactionRunner,
    views: createViews(db),
    /** Admin tokens and the audit log of admin writes. */
    access: {
      tokens: createAdminTokenRepository(db),
      audit: createAuditLog(db),
      deskSessions: createDeskSessionRepository(db),
    },
    /** Blocks, reports and hidden replies: writes that commit with their effects. */
    moderation,
    blockList,
    /** The WebSub hub's subscriptions. */
    websub: createWebSubRepository(db),
    /** The WebSub distribution: its state per subscription and its queue. */
    websubDistribution: {
      store: createWebSubDistributionStore(db),
      queue: (settings: DeliveryQueueSettings) =>
        queueOnDatabase(db, { ...settings, queue: WEBSUB_QUEUE }),
    },
    federation: {
      repos: {
        articles: createArticleRepository(db),
        liveUpdates: createLiveUpdateRepository(db),
        feeds: createFeedRepository(db),
        followers: createFollowerRepository(db),
        interactions: createInteractionRepository(db),
        quotes: createQuoteAuthorizationRepository(db),
        thread: createThreadView(db),
        feedKeys: createFeedKeyRepository(db),
        outbox: createOutboxRelayStore(db),
        deliveryRecord: createDeliveryRecordStore(db),
        reports: createReportRepository(db),
        instanceKeys: createInstanceKeyRepository(db),
      },
      blockList,
      kv: (): KvStore => new KyselyKvStore(db),
      queue: (settings: DeliveryQueueSettings): MessageQueue => queueOnDatabase(db, settings),
    },
    /** Resolves when the database answers; rejects otherwise (for /healthz). */
    async checkDatabase(): Promise<void> {
      await sql`select 1`.execute(db);
    },
  };
}

export type Stores = ReturnType<typeof createStores>;
/** What federation's runtime takes from the stores. */
export type FederationStorage = Stores["federation"];
