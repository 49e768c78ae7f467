import type { DocumentLoader, Federation, KvStore, Message, MessageQueue } from "@fedify/fedify";
import type { Config } from "../config.ts";
import type { Clock } from "../domain/ports.ts";
import { type CachedKeyFamily, CachedKvStore } from "../fedify-kysely/index.ts";
import type { Logger } from "../logger.ts";
import type { Metrics } from "../observability/metrics.ts";
import type { FederationStorage } from "../storage/stores.ts";
import { type AddressGuard, createAddressGuard } from "./address-guard.ts";
import type { FederationData } from "./context-data.ts";
import { FedifyDeliveryObserver } from "./delivery-metrics.ts";
import { DeliveryRecorder } from "./delivery-recorder.ts";
import { buildFederation } from "./federation.ts";
import { FEDIFY_KV_PREFIXES, readOutboxMessage } from "./fedify-internals.ts";
import { FeedKeyStore } from "./keys.ts";
import { dropNonPublicDeliveries } from "./outbox-address-guard.ts";
import { dropBlockedDeliveries } from "./outbox-block-guard.ts";
import { OutboxRelay } from "./outbox-relay.ts";
import { firstTaker, type OutboxSender, OutboxShortcutQueue } from "./outbox-shortcut-queue.ts";

export interface FederationRuntimeOptions {
  /** Repositories and Fedify's storage, from src/storage/stores.ts. */
  readonly storage: FederationStorage;
  readonly publicUrl: string;
  readonly logger: Logger;
  readonly clock: Clock;
  /** PostgreSQL URL for LISTEN wake-ups between processes; unset on PGlite. */
  readonly databaseUrl: string | undefined;
  /** Tests only: lets federation fetch from and post to loopback and private addresses. */
  readonly allowPrivateAddress: boolean;
  readonly deliveryConcurrency: number;
  /** Deliveries at once to one remote host (DELIVERY_PER_HOST; default: no bound but the total). */
  readonly deliveryPerHost?: number;
  /** AUTHORIZED_FETCH (default false). */
  readonly authorizedFetch?: boolean;
  readonly queueLeaseMs?: number;
  readonly relayLeaseMs?: number;
  /** Fedify's queue; default: the PostgreSQL queue (the Worker passes Cloudflare Queues). */
  readonly queue?: MessageQueue;
  /**
   * Sends the plain case of a delivery before Fedify's own sender sees it, given Fedify's
   * key–value store and the address guard (Node: src/federation/direct-delivery.ts). Unset:
   * Fedify sends everything.
   */
  readonly outboxSender?: (tools: {
    readonly kv: KvStore;
    readonly addressGuard: AddressGuard;
    readonly metrics?: Metrics | undefined;
    readonly recorder?: DeliveryRecorder | undefined;
  }) => OutboxSender;
  /**
   * DELIVERY_RECORD_DAYS: how long the delivery record keeps a publish (default 30); 0: no
   * record is kept at all.
   */
  readonly deliveryRecordDays?: number;
  /** Counts deliveries and inbox activities (src/observability/); unset: nothing is counted. */
  readonly metrics?: Metrics | undefined;
  /**
   * An inbox listener committed outbox work (a quote's Accept). Default: wake the relay running
   * in this process; Workers, which run none, drain it in the invocation instead.
   */
  readonly onOutboxWork?: (relay: OutboxRelay) => void;
  /**
   * Tests only: fetches every remote document (actors, keys, JSON-LD contexts) in place of
   * Fedify's loader, so that a test can serve a made-up public origin from a loopback peer while
   * the address guard stays strict. Never set outside tests.
   */
  readonly documentLoaderForTests?: DocumentLoader;
}

/** What a runtime's options take from configuration: the one mapping, for Node and Workers. */
export function federationOptionsFromConfig(
  config: Pick<
    Config,
    | "publicUrl"
    | "databaseUrl"
    | "federationAllowPrivateAddress"
    | "deliveryConcurrency"
    | "deliveryPerHost"
    | "deliveryLeaseMs"
    | "authorizedFetch"
    | "deliveryRecordDays"
  >,
): Pick<
  FederationRuntimeOptions,
  | "publicUrl"
  | "databaseUrl"
  | "allowPrivateAddress"
  | "deliveryConcurrency"
  | "deliveryPerHost"
  | "authorizedFetch"
  | "queueLeaseMs"
  | "relayLeaseMs"
  | "deliveryRecordDays"
> {
  return {
    publicUrl: config.publicUrl,
    databaseUrl: config.databaseUrl,
    allowPrivateAddress: config.federationAllowPrivateAddress,
    deliveryConcurrency: config.deliveryConcurrency,
    deliveryPerHost: config.deliveryPerHost,
    authorizedFetch: config.authorizedFetch,
    queueLeaseMs: config.deliveryLeaseMs,
    relayLeaseMs: config.deliveryLeaseMs,
    deliveryRecordDays: config.deliveryRecordDays,
  };
}

export interface FederationRuntime {
  readonly federation: Federation<FederationData>;
  readonly data: FederationData;
  /** Fedify's key–value store (the inbox gate caches verified keys in it too). */
  readonly kv: KvStore;
  readonly relay: OutboxRelay;
  /** Consumes the delivery queue and relays the outbox until `signal` aborts and work in flight is done. */
  runDelivery(signal: AbortSignal): Promise<void>;
  /**
   * Runs one message of Fedify's queue where nothing listens to it (the Worker's queue handler),
   * with the same checks in front of Fedify's handler as a listening queue has.
   */
  processQueuedTask(message: unknown): Promise<void>;
  /** Writes the delivery outcomes still in memory (the Worker, at the end of a queue batch). */
  flushDeliveryRecord(): Promise<void>;
  /** Deletes delivery records older than DELIVERY_RECORD_DAYS; returns how many went. */
  pruneDeliveryRecord(): Promise<number>;
}

/** How often a delivering process prunes the delivery record. */
const PRUNE_INTERVAL_MS = 60 * 60_000;
const DAY_MS = 86_400_000;

/**
 * Keys Fedify reads on every delivery, kept in memory briefly (see CachedKvStore).
 */
const FEDIFY_HOT_KEYS: readonly CachedKeyFamily[] = [
  { prefix: FEDIFY_KV_PREFIXES.signatureSpec, ttlMs: 5 * 60_000 },
  // A healthy server has no state: that is remembered for a minute. A circuit opened by another
  // process is therefore noticed here up to a minute late; one opened here is seen at once.
  { prefix: FEDIFY_KV_PREFIXES.circuit, ttlMs: 1_000, absentTtlMs: 60_000 },
];

/**
 * What a queued message counts against under the per-host bound: a delivery, the remote host
 * it POSTs to; any other work (inbox activities, Fedify's fan-out), one shared local key. That
 * work runs on this process's CPU rather than waiting on a server, so more of it at once than
 * the per-host bound only queues on the event loop, ahead of readers' and editors' requests.
 */
function concurrencyKeyOf(payload: unknown): string {
  const inbox = readOutboxMessage(payload)?.inbox;
  if (inbox === undefined) return LOCAL_WORK_KEY;
  try {
    return new URL(inbox).host;
  } catch {
    return LOCAL_WORK_KEY;
  }
}

/** Not a host name (hosts have no spaces). */
const LOCAL_WORK_KEY = "local work";

/** Fedify on our PostgreSQL (or PGlite): key-value store, durable queue, outbox relay. */
export async function createFederationRuntime(
  options: FederationRuntimeOptions,
): Promise<FederationRuntime> {
  const { storage, publicUrl, logger, clock } = options;
  const { repos } = storage;
  const addressGuard = createAddressGuard({ allowPrivateAddress: options.allowPrivateAddress });
  const kv = new CachedKvStore(storage.kv(), { families: FEDIFY_HOT_KEYS });
  const data: FederationData = {
    repos,
    publicUrl,
    logger,
    clock,
    keys: new FeedKeyStore(repos.feedKeys),
    instanceKeys: new FeedKeyStore(repos.instanceKeys),
    kv,
    authorizedFetch: options.authorizedFetch ?? false,
    addressGuard,
    blocks: storage.blockList,
    onOutboxWork: () => (options.onOutboxWork ? options.onOutboxWork(relay) : relay.wake()),
    ...(options.metrics ? { metrics: options.metrics } : {}),
  };
  const queue =
    options.queue ??
    storage.queue({
      concurrency: options.deliveryConcurrency,
      perKey: options.deliveryPerHost
        ? { limit: options.deliveryPerHost, keyOf: concurrencyKeyOf }
        : undefined,
      databaseUrl: options.databaseUrl,
      leaseMs: options.queueLeaseMs,
      logger,
    });
  const recordDays = options.deliveryRecordDays ?? 30;
  const recorder =
    recordDays > 0
      ? new DeliveryRecorder(repos.deliveryRecord, { logger, now: () => clock.now() })
      : undefined;
  const sender = options.outboxSender?.({
    kv,
    addressGuard,
    metrics: options.metrics,
    recorder,
  });
  const observer =
    options.metrics || recorder ? new FedifyDeliveryObserver(options.metrics, recorder) : undefined;
  // Every message Fedify would handle passes here first, whoever sends it: the address check,
  // then the direct sender if there is one.
  const beforeFedify = firstTaker(
    dropNonPublicDeliveries(addressGuard, repos.followers, logger),
    dropBlockedDeliveries(storage.blockList, logger),
    ...(sender ? [sender.send] : []),
  );
  const federation = await buildFederation({
    publicUrl,
    kv,
    queue: new OutboxShortcutQueue(queue, beforeFedify, observer),
    deliveryObserver: observer,
    allowPrivateAddress: options.allowPrivateAddress,
    ...(options.documentLoaderForTests
      ? { documentLoaderForTests: options.documentLoaderForTests }
      : {}),
  });
  const relay = new OutboxRelay(federation, data, {
    ...(options.relayLeaseMs ? { leaseMs: options.relayLeaseMs } : {}),
    recordDeliveries: recorder !== undefined,
  });
  const pruneDeliveryRecord = async () =>
    recordDays > 0
      ? repos.deliveryRecord.prune(new Date(clock.now().getTime() - recordDays * DAY_MS))
      : 0;
  return {
    federation,
    data,
    kv,
    relay,
    async runDelivery(signal) {
      const prune = () =>
        void pruneDeliveryRecord().catch((error: unknown) =>
          logger.warn("delivery record: could not prune", { error }),
        );
      const pruning = recorder ? setInterval(prune, PRUNE_INTERVAL_MS) : undefined;
      pruning?.unref?.();
      if (recorder) prune();
      try {
        await Promise.all([federation.startQueue(data, { signal }), relay.run(signal)]);
      } finally {
        clearInterval(pruning);
        sender?.close();
        await recorder?.flush();
      }
    },
    async processQueuedTask(message) {
      if (await beforeFedify(message)) return;
      const handle = () => federation.processQueuedTask(data, message as Message);
      await (observer ? observer.observe(message, handle) : handle());
    },
    flushDeliveryRecord: async () => recorder?.flush(),
    pruneDeliveryRecord,
  };
}
