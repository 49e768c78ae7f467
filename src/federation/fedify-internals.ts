import type { KvKey } from "@fedify/fedify";

/**
 * Everything Tidings knows about Fedify that Fedify does not publish as API, in one place: the
 * format of its queued outbox messages, and its default key–value prefixes. The direct sender
 * (direct-delivery.ts), the address check in front of every delivery (outbox-address-guard.ts),
 * the key cache the inbox gate shares with Fedify (key-cache.ts) and the in-memory cache of hot
 * keys (runtime.ts) read them through here.
 *
 * Written for one Fedify release: with any other installed, Node start-up falls back to Fedify's
 * own sender and says why (see `directSenderFits`). The contract test
 * (test/integration/fedify-internals.test.ts) runs Fedify's real `sendActivity` into a capturing
 * queue and reads the messages back through `readOutboxMessage`, so an upgrade that changes the
 * format fails a test rather than quietly falling back.
 */
export const FEDIFY_VERSION_WRITTEN_FOR = "2.3.6";

/** Fedify's `kvPrefixes` defaults, which Tidings does not change. */
export const FEDIFY_KV_PREFIXES = {
  /** Per origin: the HTTP signature spec a server accepted ("rfc9421" or draft-cavage). */
  signatureSpec: ["_fedify", "httpMessageSignaturesSpec"],
  /** Per host: the circuit breaker's state (absent while the server is healthy). */
  circuit: ["_fedify", "circuit"],
  /** Per key id: a remote public key, as JSON-LD (null: it could not be fetched). */
  publicKey: ["_fedify", "publicKey"],
} as const satisfies Record<string, KvKey>;

/** A key under one of Fedify's prefixes. */
export function fedifyKey(prefix: KvKey, ...rest: string[]): KvKey {
  return [...prefix, ...rest] as unknown as KvKey;
}

/**
 * Fedify 2.3's `OutboxMessage`: one POST of one activity to one inbox, as it sits in the queue.
 * Only the fields read here.
 */
export interface OutboxMessage {
  readonly type: "outbox";
  readonly inbox: string;
  readonly activity: object;
  readonly activityId?: string;
  /** The sender's key pairs as JWK (RSA for HTTP signatures, Ed25519 for proofs). */
  readonly keys: ReadonlyArray<{ readonly keyId: string; readonly privateKey: JsonWebKey }>;
  /** 0 on the first try; Fedify counts its retries here. */
  readonly attempt: number;
  readonly headers?: Readonly<Record<string, string>>;
  /** Set while the circuit breaker holds the message back. */
  readonly circuitHeld?: boolean;
}

/**
 * Where a queued outbox message is going, read as loosely as possible: the address check must
 * see every delivery, whatever else the message holds. Undefined for other work (inbox, …).
 */
export function readOutboxDestination(
  message: unknown,
): { readonly inbox: string; readonly activityId?: string | undefined } | undefined {
  if (typeof message !== "object" || message === null) return undefined;
  const m = message as Partial<OutboxMessage>;
  if (m.type !== "outbox" || typeof m.inbox !== "string") return undefined;
  return {
    inbox: m.inbox,
    activityId: typeof m.activityId === "string" ? m.activityId : undefined,
  };
}

/** The outbox message in a queued payload, or undefined for anything else (inbox work, …). */
export function readOutboxMessage(message: unknown): OutboxMessage | undefined {
  if (typeof message !== "object" || message === null) return undefined;
  const m = message as Partial<OutboxMessage>;
  const shaped =
    m.type === "outbox" &&
    typeof m.inbox === "string" &&
    typeof m.attempt === "number" &&
    Array.isArray(m.keys) &&
    typeof m.activity === "object" &&
    m.activity !== null &&
    (m.activityId === undefined || typeof m.activityId === "string") &&
    (m.headers === undefined || (typeof m.headers === "object" && m.headers !== null));
  return shaped ? (m as OutboxMessage) : undefined;
}

/**
 * Whether the direct sender may read this Fedify's queue: only the release it was written for.
 * Anything else gets Fedify's own sender for every POST (slower, never wrong).
 */
export function directSenderFits(
  installedVersion: string | undefined,
): { readonly ok: true } | { readonly ok: false; readonly reason: string } {
  if (installedVersion === FEDIFY_VERSION_WRITTEN_FOR) return { ok: true };
  return {
    ok: false,
    reason:
      `the direct sender reads the queue format of Fedify ${FEDIFY_VERSION_WRITTEN_FOR}, ` +
      `and Fedify ${installedVersion ?? "(unknown version)"} is installed`,
  };
}
