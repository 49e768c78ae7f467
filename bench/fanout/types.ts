/** What bench/fanout measures and writes to bench/results/fanout.json. */
import type { ProfileSummary } from "./profile.ts";

export interface Settings {
  readonly hosts: number;
  readonly actorsPerHost: number;
  readonly firstAddress: string;
  readonly concurrencies: readonly number[];
  readonly delaysMs: readonly number[];
  /** Warm pushes per inbox delay, per baseline server process. */
  readonly warmRepeats: number;
  /** The same for the experiments' servers. */
  readonly experimentRepeats: number;
  /** Variants run at the best concurrency (see instrument.ts). */
  readonly experiments: readonly string[];
  readonly cpuProfile: boolean;
  /** The variant profiled (FANOUT_PROFILE_VARIANT, default baseline). */
  readonly profileVariant: string;
  /** MALLOC_ARENA_MAX for the server ("" leaves it unset); `npm start` sets 2. */
  readonly mallocArenaMax: string;
  readonly runTimeoutMs: number;
  readonly cpus: number;
  readonly cpuModel: string;
  readonly node: string;
}

export interface Phase {
  /** "baseline", or experiments joined by "+" (e.g. "no-ordering-key+pool-40"). */
  readonly variant: string;
  readonly concurrency: number;
  readonly delayMs: number;
}

/**
 * cold: the first push of a fresh server process, with the hosts' key caches emptied (each host
 * fetches the feed's key), or for the raw loop fresh connections and emptied key caches;
 * first: the first push of a fresh server process, hosts already know the key (a warm-up);
 * warm: a later push (connections and caches as the previous push left them).
 */
export type Temperature = "cold" | "first" | "warm";

export interface TidingsRun extends Phase {
  readonly temperature: Temperature;
  /** POST /admin/articles round trip. */
  readonly publishMs: number;
  /** From the publish call's start to the first / last accepted POST on the farm. */
  readonly firstDeliveryMs: number;
  readonly allHostsMs: number;
  /** From the publish call's start until the delivery queue was empty. */
  readonly drainedMs: number;
  readonly hosts: number;
  /** POSTs the farm accepted (duplicates included). */
  readonly deliveries: number;
  readonly duplicates: number;
  readonly rejected: number;
  /** deliveries ÷ allHostsMs. */
  readonly deliveriesPerSec: number;
  /** Server process CPU (utime + stime) from the publish call until the queue was empty. */
  readonly serverCpuMs: number;
  readonly serverCpuMsPerDelivery: number;
  readonly postgresCpuMsPerDelivery: number;
  readonly farmCpuMsPerDelivery: number;
  /** Average cores the server process and the whole machine were busy over the run. */
  readonly serverCores: number;
  readonly machineBusyCores: number;
  /** Cores busy with processes outside this benchmark (someone else's load) over the run. */
  readonly otherCores: number;
  /** Cores busy in kernel threads (ksoftirqd & co.: partly this benchmark's networking). */
  readonly kernelCores: number;
  /** SQL statements the server sent, per delivery, in all and by kind. */
  readonly sqlPerDelivery: number;
  readonly sqlByKind: Record<string, number>;
  /** Key fetches by the farm's hosts so far in this server's life. */
  readonly keyFetches: number;
  readonly rssMiB: number;
  /** VmHWM: the server process's peak RSS since it started. */
  readonly peakRssMiB: number;
  /** V8 heap (live and garbage) right after the push. */
  readonly heapTotalMiB: number;
}

export interface RawRun {
  readonly concurrency: number;
  readonly delayMs: number;
  readonly temperature: Temperature;
  readonly elapsedMs: number;
  readonly sent: number;
  readonly ok: number;
  readonly failed: number;
  readonly statuses: Record<string, number>;
  readonly accepted: number;
  readonly deliveriesPerSec: number;
  readonly senderCpuMsPerDelivery: number;
  readonly farmCpuMsPerDelivery: number;
  readonly machineBusyCores: number;
  readonly otherCores: number;
  readonly kernelCores: number;
  readonly bodyBytes: number;
  readonly keyFetches: number;
}

export interface Results {
  readonly generatedAt: string;
  readonly durationSeconds: number;
  readonly settings: Settings;
  readonly postgres: string;
  readonly rawBodyBytes: number;
  readonly tidings: readonly TidingsRun[];
  readonly raw: readonly RawRun[];
  /** Per server process: RSS when idle after start, at the end, peak; V8 heap after a GC at the end. */
  readonly serverMemory: ReadonlyArray<{
    readonly variant: string;
    readonly concurrency: number;
    readonly idleRssMiB: number;
    readonly rssMiB: number;
    readonly peakRssMiB: number;
    readonly heapUsedMiB: number;
    readonly heapTotalMiB: number;
    readonly externalMiB: number;
    readonly arrayBuffersMiB: number;
  }>;
  readonly profiles: ReadonlyArray<{ readonly phase: string; readonly summary: ProfileSummary }>;
}
