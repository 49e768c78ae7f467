/**
 * Many peers in one process for large tests and benchmarks: one `http.Server` per host, each on
 * its own loopback address (127.0.1.1, 127.0.1.2, … — Linux routes all of 127.0.0.0/8 to lo),
 * all actors sharing one key pair, with counters aggregated across hosts.
 */
import { createKeyFetcher, type PeerKeyPair, sharedPeerKeyPair } from "./keys.ts";
import {
  createWaiters,
  type PeerActor,
  type PeerServer,
  type PeerServerOptions,
  type PeerStats,
  type ReceivedActivity,
  type RejectedDelivery,
  startPeerServer,
} from "./peer-server.ts";

export interface PeerFarmOptions
  extends Pick<
    PeerServerOptions,
    | "inboxDelayMs"
    | "rfc9421"
    | "sharedInbox"
    | "maxSkewMs"
    | "intercept"
    | "signKeyFetches"
    | "keyFetchTimeoutMs"
    | "authorizedFetch"
    | "fetch"
    | "retainActivities"
  > {
  /** Number of hosts (servers). */
  readonly hosts: number;
  /** Actors per host (default 1), named `user0`, `user1`, … unless `actorName` says otherwise. */
  readonly actorsPerHost?: number;
  readonly actorName?: (hostIndex: number, actorIndex: number) => string;
  /** First address; later hosts count up, skipping x.x.x.0 and x.x.x.255 (default 127.0.1.1). */
  readonly firstAddress?: string;
  /** The one key pair of the farm (default: the process-wide shared one). */
  readonly keyPair?: PeerKeyPair;
  readonly keyBits?: number;
  /**
   * One key cache for all hosts (default false: each host fetches a signer's key once, like real
   * servers; true saves the sender N key fetches).
   */
  readonly sharedKeyCache?: boolean;
  /** Servers started at once (default 100). */
  readonly startConcurrency?: number;
}

export interface FarmStats {
  readonly hosts: number;
  readonly actors: number;
  /** Accepted POSTs on all hosts, duplicates included. */
  readonly deliveries: number;
  /** Sum over hosts of distinct activity ids accepted. */
  readonly unique: number;
  readonly duplicates: number;
  readonly rejected: number;
  /** Distinct activity ids seen anywhere. */
  readonly activityIds: number;
  readonly firstDeliveryAt: number | null;
  readonly lastDeliveryAt: number | null;
}

export interface PeerFarm {
  readonly peers: readonly PeerServer[];
  /** Every actor of every host, host by host. */
  readonly actors: readonly PeerActor[];
  /** How long starting took, ms. */
  readonly startupMs: number;
  stats(): FarmStats;
  /** Per host: the peer's own counters (unique ids per host, per recipient, …). */
  hostStats(): PeerStats[];
  /** Number of hosts that accepted `activityId`. */
  hostsThatReceived(activityId: string): number;
  /** Resolves once every host has accepted `activityId`. */
  waitForAllHosts(activityId: string, timeoutMs?: number): Promise<void>;
  /** Resolves once `condition()` holds; re-checked on every accepted or refused POST. */
  waitUntil(condition: () => boolean, timeoutMs?: number): Promise<void>;
  /** Forget everything received on every host. */
  reset(): void;
  close(): Promise<void>;
}

function addressToNumber(address: string): number {
  const parts = address.split(".").map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) {
    throw new Error(`bad IPv4 address ${address}`);
  }
  return parts.reduce((n, p) => n * 256 + p, 0);
}

const numberToAddress = (n: number) =>
  [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");

/** `count` loopback addresses from `first` on, skipping .0 and .255. */
export function loopbackAddresses(first: string, count: number): string[] {
  let n = addressToNumber(first);
  const last = addressToNumber("127.255.255.254");
  if (n >>> 24 !== 127) throw new Error(`${first} is not a loopback address`);
  const out: string[] = [];
  while (out.length < count) {
    if (n > last) throw new Error(`not enough loopback addresses from ${first}`);
    const low = n & 255;
    if (low !== 0 && low !== 255) out.push(numberToAddress(n));
    n++;
  }
  return out;
}

/** Starts `hosts` peers on distinct loopback addresses. */
export async function startPeerFarm(options: PeerFarmOptions): Promise<PeerFarm> {
  const started = performance.now();
  const {
    hosts,
    actorsPerHost = 1,
    actorName = (_host: number, actor: number) => `user${actor}`,
    firstAddress = "127.0.1.1",
    keyBits = 2048,
    sharedKeyCache = false,
    startConcurrency = 100,
    ...peerOptions
  } = options;
  const keyPair = options.keyPair ?? sharedPeerKeyPair(keyBits);
  const sharedFetcher = sharedKeyCache
    ? createKeyFetcher({
        ...(options.keyFetchTimeoutMs !== undefined
          ? { timeoutMs: options.keyFetchTimeoutMs }
          : {}),
        ...(options.fetch !== undefined ? { fetch: options.fetch } : {}),
      })
    : undefined;
  const addresses = loopbackAddresses(firstAddress, hosts);
  const concurrency = Math.max(1, startConcurrency);

  let deliveries = 0;
  let unique = 0;
  let duplicates = 0;
  let rejected = 0;
  let firstDeliveryAt: number | null = null;
  let lastDeliveryAt: number | null = null;
  const hostsByActivity = new Map<string, number>();
  const peers: PeerServer[] = [];

  const waiters = createWaiters(() => {
    const s = stats();
    return (
      `farm of ${s.hosts} hosts: ${s.deliveries} deliveries, ${s.unique} unique, ` +
      `${s.duplicates} duplicates, ${s.rejected} refused`
    );
  });

  const onAccepted = (record: ReceivedActivity, duplicate: boolean) => {
    deliveries++;
    firstDeliveryAt ??= record.receivedAt;
    lastDeliveryAt = record.receivedAt;
    if (duplicate) duplicates++;
    else {
      unique++;
      if (record.activityId !== null) {
        hostsByActivity.set(record.activityId, (hostsByActivity.get(record.activityId) ?? 0) + 1);
      }
    }
    waiters.notify();
  };
  const onRejected = (_rejection: RejectedDelivery) => {
    rejected++;
    waiters.notify();
  };

  function stats(): FarmStats {
    return {
      hosts: peers.length,
      actors: peers.length * actorsPerHost,
      deliveries,
      unique,
      duplicates,
      rejected,
      activityIds: hostsByActivity.size,
      firstDeliveryAt,
      lastDeliveryAt,
    };
  }

  try {
    for (let i = 0; i < addresses.length; i += concurrency) {
      const batch = addresses.slice(i, i + concurrency).map((host, j) =>
        startPeerServer({
          ...peerOptions,
          host,
          actors: Array.from({ length: actorsPerHost }, (_, a) => actorName(i + j, a)),
          keyPair,
          ...(sharedFetcher ? { keyFetcher: sharedFetcher } : {}),
          onAccepted,
          onRejected,
        }),
      );
      const results = await Promise.allSettled(batch);
      for (const result of results) if (result.status === "fulfilled") peers.push(result.value);
      const failure = results.find((r) => r.status === "rejected");
      if (failure) throw (failure as PromiseRejectedResult).reason;
    }
  } catch (error) {
    await Promise.all(peers.map((peer) => peer.close()));
    throw error;
  }

  const hostsThatReceived = (activityId: string) => hostsByActivity.get(activityId) ?? 0;

  return {
    peers,
    actors: peers.flatMap((peer) => peer.actors),
    startupMs: performance.now() - started,
    stats,
    hostStats: () => peers.map((peer) => peer.stats()),
    hostsThatReceived,
    waitForAllHosts: (activityId, timeoutMs) =>
      waiters.waitUntil(() => hostsThatReceived(activityId) >= peers.length, timeoutMs),
    waitUntil: waiters.waitUntil,
    reset() {
      for (const peer of peers) peer.reset();
      deliveries = 0;
      unique = 0;
      duplicates = 0;
      rejected = 0;
      firstDeliveryAt = null;
      lastDeliveryAt = null;
      hostsByActivity.clear();
    },
    async close() {
      waiters.abortAll("peer farm closed");
      await Promise.all(peers.map((peer) => peer.close()));
    },
  };
}
