import { createPrivateKey, type KeyObject, type JsonWebKey as NodeJsonWebKey } from "node:crypto";
import type { KvStore } from "@fedify/fedify";
import type { Logger } from "../logger.ts";
import { type Metrics, outcomeOfStatus, secondsSince } from "../observability/metrics.ts";
import { type AddressGuard, NonPublicAddressError } from "./address-guard.ts";
import type { DeliveryRecorder } from "./delivery-recorder.ts";
import { userAgentFor } from "./federation.ts";
import {
  FEDIFY_KV_PREFIXES,
  fedifyKey,
  type OutboxMessage,
  readOutboxMessage,
} from "./fedify-internals.ts";
import { KeepAlivePoster, PostTimeoutError } from "./keep-alive-poster.ts";
import {
  type RsaSigner,
  type SignatureSpec,
  signedPostHeaders,
  signOnEventLoop,
  signOnThreadPool,
} from "./outbound-signature.ts";
import type { OutboxSender, OutboxShortcut } from "./outbox-shortcut-queue.ts";

export interface DirectDeliveryOptions {
  /** Fedify's key–value store: the signature spec and circuit-breaker state it keeps per server. */
  readonly kv: KvStore;
  /** Decides which inboxes may be posted to, and which addresses connected to. */
  readonly addressGuard: AddressGuard;
  readonly userAgent: string;
  readonly logger: Logger;
  /** A POST that has not been answered after this long is abandoned to Fedify (default 30 s). */
  readonly timeoutMs?: number;
  readonly now?: () => Date;
  /** Counts each POST's outcome and time (sender `direct`); unset: nothing is counted. */
  readonly metrics?: Metrics | undefined;
  /** Where signatures are computed (default: on the thread pool). */
  readonly signer?: RsaSigner;
  /** Told of each POST an inbox took (the delivery record); unset: nothing is recorded. */
  readonly recorder?: DeliveryRecorder | undefined;
}

/** The runtime's `outboxSender` option under Node: a direct sender for this instance. */
export function directOutboxSender(
  publicUrl: string,
  logger: Logger,
  signing: "thread-pool" | "event-loop" = "thread-pool",
) {
  const signer = signing === "event-loop" ? signOnEventLoop : signOnThreadPool;
  return (tools: {
    kv: KvStore;
    addressGuard: AddressGuard;
    metrics?: Metrics | undefined;
    recorder?: DeliveryRecorder | undefined;
  }): OutboxSender =>
    new DirectDelivery({ ...tools, userAgent: userAgentFor(publicUrl), logger, signer });
}

const CONTENT_TYPE = "application/activity+json";
/** Activities whose JSON is kept: more than the fan-outs one process works on at once. */
const BODY_CACHE_SIZE = 64;

/**
 * The common case of a delivery without Fedify's per-message machinery.
 *
 * Fedify builds, signs (object proofs) and fans out every activity into its queue, and its own
 * sender stays in charge of everything but the plain case: a first attempt to a server whose
 * signature spec Fedify has already negotiated and whose circuit breaker holds no state. That
 * case, nearly every POST of a fan-out, is sent here with node:crypto and keep-alive
 * connections, signed with the same key and spec Fedify would use. Profiled, Fedify's path costs
 * about 2.3 ms of CPU per POST (a WebCrypto key import and sign, web streams, Temporal, tracing
 * spans); this one about a third of that (see `npm run bench:fanout` and docs/adr/0002).
 *
 * Anything else is declined before sending: an unknown server (Fedify knocks with RFC 9421 and
 * falls back to draft-cavage, and remembers which worked), a retry, a circuit with state, an
 * inbox URL with a query. And any answer but 2xx (or no answer) is declined after sending, so
 * Fedify sends the message again at once and owns what follows: the spec renegotiation after a
 * 401, redirects, retries with backoff, the circuit breaker, and the permanent-failure handler
 * that drops followers whose inbox answers 404/410. The activity id is the same either way, so a
 * receiver that got the first POST sees the second as a duplicate.
 *
 * An inbox that is not a public address is never posted to, nor handed to Fedify: the URL is
 * checked before sending and every address a name resolves to when connecting (so a name that
 * passed the check cannot rebind to a private address in between), and a refusal fails the
 * message, for the queue to retry it later, when the check in front of every sender
 * (outbox-address-guard.ts) drops it.
 */
export class DirectDelivery implements OutboxSender {
  readonly #kv: KvStore;
  readonly #guard: AddressGuard;
  readonly #userAgent: string;
  readonly #logger: Logger;
  readonly #now: () => Date;
  readonly #metrics: Metrics | undefined;
  readonly #signer: RsaSigner;
  readonly #recorder: DeliveryRecorder | undefined;
  readonly #keys = new Map<string, { readonly modulus: string; readonly key: KeyObject }>();
  /** Serialised activities by id, newest last: a fan-out sends one activity to every inbox. */
  readonly #bodies = new Map<string, Buffer>();
  readonly #poster: KeepAlivePoster;

  constructor(options: DirectDeliveryOptions) {
    this.#kv = options.kv;
    this.#guard = options.addressGuard;
    this.#poster = new KeepAlivePoster({
      guard: options.addressGuard,
      timeoutMs: options.timeoutMs ?? 30_000,
    });
    this.#userAgent = options.userAgent;
    this.#logger = options.logger;
    this.#now = options.now ?? (() => new Date());
    this.#metrics = options.metrics;
    this.#signer = options.signer ?? signOnThreadPool;
    this.#recorder = options.recorder;
  }

  readonly send: OutboxShortcut = async (queued) => {
    const message = firstOutboxAttempt(queued);
    if (!message) return false;
    const url = parseInboxUrl(message.inbox);
    const signer = url && this.#rsaKey(message);
    if (!url || !signer) return false;
    const [spec, circuit] = await Promise.all([
      this.#kv.get<SignatureSpec>(fedifyKey(FEDIFY_KV_PREFIXES.signatureSpec, url.origin)),
      this.#kv.get(fedifyKey(FEDIFY_KV_PREFIXES.circuit, url.host)),
    ]);
    if ((spec !== "rfc9421" && spec !== "draft-cavage-http-signatures-12") || circuit != null) {
      return false;
    }
    const verdict = await this.#guard.checkUrl(url);
    if (!verdict.ok) {
      if (verdict.reason === "unresolvable") return false;
      throw new NonPublicAddressError(verdict);
    }
    const body = this.#body(message);
    const headers = {
      ...lowerCaseKeys(message.headers),
      "user-agent": this.#userAgent,
      "content-length": String(body.length),
      ...(await signedPostHeaders(
        spec,
        { url, body, ...signer, now: this.#now() },
        CONTENT_TYPE,
        this.#signer,
      )),
    };
    const start = this.#metrics ? performance.now() : 0;
    const status = await this.#poster.post(url, headers, body).catch((error: unknown) => {
      if (error instanceof NonPublicAddressError) throw error;
      this.#logger.debug("direct delivery failed; Fedify sends it again", {
        inbox: url.href,
        error,
      });
      this.#metrics?.delivery("direct", timedOut(error) ? "timeout" : "error", secondsSince(start));
      return 0;
    });
    if (status !== 0)
      this.#metrics?.delivery("direct", outcomeOfStatus(status), secondsSince(start));
    if (status >= 200 && status < 300) {
      this.#recorder?.record({
        activityId: message.activityId,
        inbox: message.inbox,
        status: String(status),
        delivered: true,
        givenUp: false,
      });
      return true;
    }
    // Declined: Fedify sends it again at once, and its outcome is the one recorded.
    if (status !== 0) {
      this.#logger.debug("direct delivery refused; Fedify sends it again", {
        inbox: url.href,
        activityId: message.activityId,
        status,
      });
    }
    return false;
  };

  /** Closes idle keep-alive connections (the process is stopping). */
  close(): void {
    this.#poster.close();
  }

  /**
   * The activity's JSON, as Fedify would send it, serialised once per activity (by its id), not
   * once per inbox: every message of a fan-out carries the same activity.
   */
  #body(message: OutboxMessage): Buffer {
    const id = message.activityId;
    let body = id === undefined ? undefined : this.#bodies.get(id);
    if (!body) {
      body = Buffer.from(JSON.stringify(message.activity), "utf8");
      if (id !== undefined) {
        if (this.#bodies.size >= BODY_CACHE_SIZE) {
          const oldest = this.#bodies.keys().next().value;
          if (oldest !== undefined) this.#bodies.delete(oldest);
        }
        this.#bodies.set(id, body);
      }
    }
    return body;
  }

  /** The RSA key Fedify signs HTTP requests with, imported once per key id. */
  #rsaKey(message: OutboxMessage): { keyId: string; privateKey: KeyObject } | undefined {
    const pair = message.keys.find((candidate) => candidate.privateKey.kty === "RSA");
    const modulus = pair?.privateKey.n;
    if (!pair || typeof modulus !== "string") return undefined;
    let cached = this.#keys.get(pair.keyId);
    if (cached?.modulus !== modulus) {
      try {
        const jwk = pair.privateKey as NodeJsonWebKey;
        cached = { modulus, key: createPrivateKey({ key: jwk, format: "jwk" }) };
      } catch {
        return undefined;
      }
      this.#keys.set(pair.keyId, cached);
    }
    return { keyId: pair.keyId, privateKey: cached.key };
  }
}

function timedOut(error: unknown): boolean {
  return error instanceof PostTimeoutError;
}

/** A first attempt, not held by the circuit breaker: the only messages sent here. */
function firstOutboxAttempt(message: unknown): OutboxMessage | undefined {
  const outbox = readOutboxMessage(message);
  return outbox && outbox.attempt === 0 && outbox.circuitHeld !== true ? outbox : undefined;
}

/** An http(s) inbox URL without a query (draft-cavage servers disagree on signing one). */
function parseInboxUrl(inbox: string): URL | undefined {
  let url: URL;
  try {
    url = new URL(inbox);
  } catch {
    return undefined;
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return undefined;
  if (url.search || url.username || url.password) return undefined;
  return url;
}

/** Header names as node:http sends them, so ours replace a message's own of the same name. */
function lowerCaseKeys(
  headers: Readonly<Record<string, string>> | undefined,
): Record<string, string> {
  const lower: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {}))
    lower[name.toLowerCase()] = String(value);
  return lower;
}
