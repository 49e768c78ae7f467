/** Messages between the fan-out scenario and its children (farm-child.ts, raw-child.ts). */
import type { FarmStats } from "../../../test/support/fediverse-peer.ts";

/** A farm actor the raw sender signs as (its key is the farm's shared key). */
export interface Signer {
  readonly actorId: string;
  readonly keyId: string;
  readonly privateKeyPem: string;
}

export interface FarmReady {
  readonly actors: readonly {
    readonly id: string;
    readonly inbox: string;
    readonly sharedInbox: string | null;
  }[];
  readonly startupMs: number;
  readonly signer: Signer;
}

export interface FarmSnapshot {
  readonly stats: FarmStats;
  /** Hosts that accepted the activity asked about. */
  readonly hostsReceived: number;
  /** Key fetches the hosts made so far (cold runs fetch the sender's key once per host). */
  readonly keyFetches: number;
  /** Date.now() in the farm when the snapshot was taken. */
  readonly at: number;
}

export interface RawRunRequest {
  readonly targets: readonly string[];
  readonly concurrency: number;
  /** A JSON activity to send (its `id` and `actor` are replaced per POST). */
  readonly body: string;
  readonly signer: Signer;
  readonly label: string;
  /** Close kept-alive connections first (a cold run). */
  readonly freshConnections: boolean;
}

export interface RawRunResult {
  readonly sent: number;
  readonly ok: number;
  readonly failed: number;
  readonly statuses: Record<string, number>;
  readonly elapsedMs: number;
  readonly bodyBytes: number;
}
