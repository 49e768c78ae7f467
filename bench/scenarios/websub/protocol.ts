/** Messages between the WebSub scenario and its children (farm-child.ts, raw-child.ts). */

/** One subscription: where the pings go and the secret they are signed with. */
export interface Callback {
  readonly url: string;
  readonly host: string;
  readonly secret: string;
}

export interface FarmReady {
  readonly callbacks: readonly Callback[];
  readonly startupMs: number;
}

/** What the farm saw since its last reset. */
export interface FarmStats {
  /** POSTs received, all callbacks together. */
  readonly posts: number;
  /** Callbacks that received a body holding the marker, correctly signed. */
  readonly served: number;
  /** POSTs whose X-Hub-Signature did not match the body. */
  readonly badSignatures: number;
  /** Date.now() in the farm at the first POST and at the last callback served. */
  readonly firstAt: number | null;
  readonly lastServedAt: number | null;
  /** Size of the last body received. */
  readonly bodyBytes: number;
}

export interface RawRunRequest {
  readonly callbacks: readonly Callback[];
  readonly concurrency: number;
  /** The document, base64, with the headers Tidings sends. */
  readonly body: string;
  readonly contentType: string;
  readonly link: string;
  /**
   * "fresh": the run opens its own connections and closes them after, as Tidings' pushes do (its
   * idle connections close after 1.5 s, and publishes come minutes apart). "kept": the run reuses
   * the connections of the runs before it (the farm keeps them open a minute).
   */
  readonly connections: "fresh" | "kept";
}

export interface RawRunResult {
  readonly sent: number;
  readonly ok: number;
  readonly statuses: Record<string, number>;
  readonly elapsedMs: number;
}
