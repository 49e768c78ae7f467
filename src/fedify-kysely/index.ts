/**
 * Fedify's storage on PostgreSQL and PGlite through kysely, shaped like Fedify's own
 * `@fedify/postgres` (which needs the `postgres` driver and Fedify 1.8 in this registry): a
 * `KvStore`, a durable `MessageQueue`, and the sweep that clears what both leave behind; plus a
 * `MessageQueue` on Cloudflare Queues for the Worker. It imports nothing of the app, so it
 * could be lifted out as a package; the app imports it through this file only.
 *
 * The tables are created by the app's migrations 0002 and 0004 (`schema.ts` has their types).
 */
export {
  type CachedKeyFamily,
  CachedKvStore,
  type CachedKvStoreOptions,
} from "./cached-kv-store.ts";
export { CloudflareMessageQueue, type Queue } from "./cloudflare-message-queue.ts";
export {
  isDatabaseUnavailable,
  MAX_OUTAGE_RETRY_MS,
  outageRetryDelayMs,
  unavailableReason,
  warnDatabaseError,
} from "./database-unavailable.ts";
export { encodeKey, KyselyKvStore } from "./kv-store.ts";
export { type ListenConnection, type ListenOptions, listenOnChannel } from "./listen-connection.ts";
export type { Logger } from "./logger.ts";
export {
  FEDIFY_MESSAGES_CHANNEL,
  KyselyMessageQueue,
  type KyselyMessageQueueOptions,
} from "./message-queue.ts";
export type { PerKeyLimitOptions } from "./per-key-limit.ts";
export type { FedifyDatabase, KyselyWithFedifyTables } from "./schema.ts";
export {
  type SweepOptions,
  type SweepResult,
  sweep,
  sweepExpiredKv,
  sweepOrphanShares,
} from "./sweep.ts";
