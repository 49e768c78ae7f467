/**
 * A small Mastodon-like fediverse server on a loopback address, written with `node:http` (and the
 * signature libraries behind `http-signatures.ts`): actor documents, WebFinger, NodeInfo, personal
 * inboxes and a shared inbox that verify HTTP signatures (draft-cavage, and RFC 9421 unless told
 * to reject it), check that the activity's actor owns the signing key, and record what they
 * accept.
 */

import type { KeyObject } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import {
  type SignatureScheme,
  signatureSchemeOf,
  type VerifyResult,
  verifyRequest,
} from "./http-signatures.ts";
import {
  createKeyFetcher,
  idOf,
  type KeyFetcher,
  type PeerKeyPair,
  sharedPeerKeyPair,
} from "./keys.ts";

export const AS_CONTEXT = "https://www.w3.org/ns/activitystreams";
export const SECURITY_CONTEXT = "https://w3id.org/security/v1";
export const PUBLIC_COLLECTION = "https://www.w3.org/ns/activitystreams#Public";

export type Activity = Record<string, unknown> & { id?: string; type?: string };

/** A user of a peer, with what it needs to sign as itself. */
export interface PeerActor {
  readonly username: string;
  /** `http://host:port/users/NAME` (or under `publicOrigin`) */
  readonly id: string;
  /** `<id>#main-key` */
  readonly keyId: string;
  readonly inbox: string;
  readonly sharedInbox: string | null;
  readonly outbox: string;
  readonly followers: string;
  /** `http://host:port`, or `publicOrigin`: where its ids (activities included) live */
  readonly origin: string;
  /** `host:port` */
  readonly authority: string;
  /** `acct:NAME@host:port` */
  readonly acct: string;
  readonly privateKey: KeyObject;
  readonly publicKeyPem: string;
}

/** An activity an inbox accepted. */
export interface ReceivedActivity {
  /** Full URL of the inbox it was posted to. */
  readonly inbox: string;
  /** The inbox owner's username, or null for the shared inbox. */
  readonly recipient: string | null;
  readonly activity: Activity;
  readonly activityId: string | null;
  readonly type: string | null;
  /** The activity's actor, which owns `keyId`. */
  readonly actor: string;
  readonly keyId: string;
  readonly scheme: SignatureScheme;
  readonly algorithm: string;
  /** The sender's User-Agent header, if any. */
  readonly userAgent: string | null;
  /** ms since the epoch, when the 202 was sent. */
  readonly receivedAt: number;
}

/** A POST an inbox refused (or, with `authorizedFetch`, a GET the peer refused). */
export interface RejectedDelivery {
  readonly method: string;
  /** The inbox URL (for a GET, the URL fetched). */
  readonly inbox: string;
  readonly status: number;
  readonly reason: string;
  readonly scheme: SignatureScheme | null;
  readonly keyId: string | null;
  readonly at: number;
}

/** A signed GET the peer verified (`authorizedFetch` mode). */
export interface SignedFetch {
  readonly url: string;
  readonly keyId: string;
  readonly owner: string | null;
  readonly scheme: SignatureScheme;
  readonly at: number;
}

/** What `intercept` sees before an accepted activity is recorded. */
export interface InboxDelivery {
  readonly inbox: string;
  readonly recipient: string | null;
  readonly activity: Activity;
  readonly keyId: string;
  readonly scheme: SignatureScheme;
  /** 1 for the first delivery of this activity id to this host, 2 for the next, … */
  readonly attempt: number;
}

export interface PeerServerOptions {
  /** Loopback address to listen on (default "127.0.0.1"); any of 127.0.0.0/8 works on Linux. */
  readonly host?: string;
  /** Default 0 (an ephemeral port). */
  readonly port?: number;
  /**
   * The origin actor ids (and keys) are published under, e.g. `https://peer.example` (default:
   * where the peer listens). Whoever fetches them must map it back to the peer.
   */
  readonly publicOrigin?: string;
  /**
   * The origin inboxes are advertised at, given the port listened on (default: where the peer
   * listens), e.g. an IPv4 spelling of the same loopback address: `http://2130706433:PORT`.
   */
  readonly inboxOrigin?: (port: number) => string;
  /** Usernames (default ["alice"]). */
  readonly actors?: readonly string[];
  /** Serve `/inbox` and advertise it as `endpoints.sharedInbox` (default true). */
  readonly sharedInbox?: boolean;
  /** Wait this long (or this function's result) before answering an inbox POST (default 0). */
  readonly inboxDelayMs?: number | (() => number);
  /** "reject" answers 401 to RFC 9421 signatures, like Mastodon before 4.5 (default "accept"). */
  readonly rfc9421?: "accept" | "reject";
  /**
   * Mastodon's secure mode (AUTHORIZED_FETCH): signed GETs must verify (else 401) and are recorded
   * in `signedFetches`; unsigned GETs of collections get 401; actor documents stay public so that
   * keys can be fetched (default false).
   */
  readonly authorizedFetch?: boolean;
  /** Key size when generating the process-wide key pair (default 2048). */
  readonly keyBits?: number;
  /** The key pair every actor of this peer uses (default: the process-wide shared one). */
  readonly keyPair?: PeerKeyPair;
  /** Share a key cache with other peers (default: one per peer). */
  readonly keyFetcher?: KeyFetcher;
  /** Sign the GETs that fetch signers' keys, as this peer's first actor (default false). */
  readonly signKeyFetches?: boolean;
  /** Timeout of one key fetch (default 10 s). */
  readonly keyFetchTimeoutMs?: number;
  /** The fetch key look-ups use (default global fetch), e.g. to map a public origin to loopback. */
  readonly fetch?: typeof globalThis.fetch;
  /**
   * Keep each accepted activity's full JSON in `received` (default true); false keeps only
   * `id`, `type` and `actor`, for long benchmarks.
   */
  readonly retainActivities?: boolean;
  /** Allowed clock skew for signatures (default one hour). */
  readonly maxSkewMs?: number;
  /** Largest inbox body accepted (default 1 MiB). */
  readonly maxBodyBytes?: number;
  /**
   * Called for each verified activity before it is recorded; return an HTTP status to answer with
   * that instead (e.g. 500 to make the sender retry, 410 for gone). Not recorded then.
   */
  readonly intercept?: (
    delivery: InboxDelivery,
  ) => number | undefined | Promise<number | undefined>;
  /** Called after an activity is accepted (duplicate: the host had already accepted its id). */
  readonly onAccepted?: (record: ReceivedActivity, duplicate: boolean) => void;
  readonly onRejected?: (rejection: RejectedDelivery) => void;
}

export interface PeerStats {
  readonly origin: string;
  /** Accepted POSTs, duplicates included. */
  readonly deliveries: number;
  /** Distinct activity ids accepted (= `received.length`). */
  readonly unique: number;
  /** Accepted POSTs of an activity id this host had already accepted (any inbox). */
  readonly duplicates: number;
  readonly rejected: number;
  readonly firstDeliveryAt: number | null;
  readonly lastDeliveryAt: number | null;
  /** Per inbox owner ("*" for the shared inbox): accepted POSTs and distinct activity ids. */
  readonly byRecipient: Record<string, { deliveries: number; unique: number }>;
}

export interface PeerServer {
  /** `http://host:port` */
  readonly origin: string;
  readonly host: string;
  readonly port: number;
  /** `host:port` */
  readonly authority: string;
  readonly actors: readonly PeerActor[];
  /** Accepted activities, one per activity id, in order of acceptance (live array). */
  readonly received: readonly ReceivedActivity[];
  /** Refused POSTs, and refused GETs in `authorizedFetch` mode (the last 1,000). */
  readonly rejected: readonly RejectedDelivery[];
  /** Verified signed GETs in `authorizedFetch` mode (the last 1,000). */
  readonly signedFetches: readonly SignedFetch[];
  readonly duplicates: number;
  readonly deliveries: number;
  readonly lastDeliveryAt: number | null;
  readonly keyFetcher: KeyFetcher;
  actor(username: string): PeerActor;
  actorUrl(username: string): string;
  inboxUrl(username?: string): string;
  /** Change behaviour on the fly. */
  configure(
    options: Pick<PeerServerOptions, "inboxDelayMs" | "rfc9421" | "intercept" | "authorizedFetch">,
  ): void;
  /** The first accepted activity matching `predicate` (already received or yet to come). */
  waitFor(
    predicate: (record: ReceivedActivity) => boolean,
    timeoutMs?: number,
  ): Promise<ReceivedActivity>;
  /** The first `count` accepted activities matching `predicate`. */
  waitForCount(
    predicate: (record: ReceivedActivity) => boolean,
    count: number,
    timeoutMs?: number,
  ): Promise<ReceivedActivity[]>;
  /** Resolves once `condition()` holds; re-checked whenever a POST is accepted or refused. */
  waitUntil(condition: () => boolean, timeoutMs?: number): Promise<void>;
  stats(): PeerStats;
  /** Forget everything received (keeps the key cache). */
  reset(): void;
  close(): Promise<void>;
}

const JSON_HEADERS = { "content-type": "application/json; charset=utf-8" };
const ACTIVITY_HEADERS = { "content-type": "application/activity+json; charset=utf-8" };
const JRD_HEADERS = { "content-type": "application/jrd+json; charset=utf-8" };
const MAX_LOG = 1000;
const DEFAULT_WAIT_MS = 10_000;

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

function send(res: ServerResponse, status: number, headers: Record<string, string>, body = "") {
  res.writeHead(status, { ...headers, "content-length": Buffer.byteLength(body) });
  res.end(body);
}

function sendJson(res: ServerResponse, status: number, value: unknown, headers = JSON_HEADERS) {
  send(res, status, headers, JSON.stringify(value));
}

class BodyTooLarge extends Error {}

async function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > maxBytes) throw new BodyTooLarge();
    chunks.push(buffer);
  }
  return Buffer.concat(chunks);
}

function rawHeaderPairs(req: IncomingMessage): [string, string][] {
  const pairs: [string, string][] = [];
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    pairs.push([req.rawHeaders[i] as string, req.rawHeaders[i + 1] as string]);
  }
  return pairs;
}

function isActivityJson(contentType: string | undefined): boolean {
  const type = contentType?.split(";")[0]?.trim().toLowerCase();
  return (
    type === "application/activity+json" ||
    type === "application/ld+json" ||
    type === "application/json"
  );
}

/**
 * Event-driven waiting: `waitUntil(condition)` re-checks `condition` on every `notify()` and fails
 * after its timeout with `describe()` in the message; `abortAll` fails every pending wait.
 */
export function createWaiters(describe: () => string) {
  const listeners = new Set<() => void>();
  const pending = new Set<(error?: Error) => void>();

  function notify(): void {
    for (const listener of [...listeners]) listener();
  }

  function waitUntil(condition: () => boolean, timeoutMs = DEFAULT_WAIT_MS): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      let timer: NodeJS.Timeout | undefined;
      const finish = (error?: Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        listeners.delete(check);
        pending.delete(finish);
        if (error) reject(error);
        else resolve();
      };
      function check() {
        try {
          if (condition()) finish();
        } catch (error) {
          finish(error instanceof Error ? error : new Error(String(error)));
        }
      }
      check();
      if (settled) return;
      listeners.add(check);
      pending.add(finish);
      timer = setTimeout(
        () => finish(new Error(`timed out after ${timeoutMs} ms; ${describe()}`)),
        timeoutMs,
      );
    });
  }

  function abortAll(reason: string): void {
    for (const abort of [...pending]) abort(new Error(reason));
  }

  return { notify, waitUntil, abortAll };
}

/** Starts a peer server; resolves once it is listening. */
export async function startPeerServer(options: PeerServerOptions = {}): Promise<PeerServer> {
  const host = options.host ?? "127.0.0.1";
  if (!/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)) {
    throw new Error(`peer host must be an IPv4 loopback address (127.x.y.z), not ${host}`);
  }
  const usernames = options.actors ?? ["alice"];
  const hasSharedInbox = options.sharedInbox ?? true;
  const keyPair = options.keyPair ?? sharedPeerKeyPair(options.keyBits ?? 2048);
  const maxBodyBytes = options.maxBodyBytes ?? 1024 * 1024;
  let inboxDelayMs = options.inboxDelayMs ?? 0;
  let rfc9421 = options.rfc9421 ?? "accept";
  let intercept = options.intercept;
  let authorizedFetch = options.authorizedFetch ?? false;
  for (const name of usernames) {
    if (!/^[A-Za-z0-9_.-]+$/.test(name)) throw new Error(`bad username ${JSON.stringify(name)}`);
  }
  if (new Set(usernames).size !== usernames.length) throw new Error("duplicate usernames");

  // State
  const received: ReceivedActivity[] = [];
  const rejected: RejectedDelivery[] = [];
  const signedFetches: SignedFetch[] = [];
  const attempts = new Map<string, number>();
  const seenIds = new Set<string>();
  const byRecipient = new Map<string, { deliveries: number; ids: Set<string> }>();
  let deliveries = 0;
  let duplicates = 0;
  let rejectedCount = 0;
  let firstDeliveryAt: number | null = null;
  let lastDeliveryAt: number | null = null;
  let closed = false;
  const delays = new Set<{ timer: NodeJS.Timeout; resolve: () => void }>();

  // Set once listening.
  let origin = "";
  let authority = "";
  let actors: PeerActor[] = [];
  const actorsByName = new Map<string, PeerActor>();
  const actorDocuments = new Map<string, string>();
  const keyFetcherOptions = {
    ...(options.keyFetchTimeoutMs !== undefined ? { timeoutMs: options.keyFetchTimeoutMs } : {}),
    ...(options.fetch !== undefined ? { fetch: options.fetch } : {}),
  };
  let keyFetcher: KeyFetcher = options.keyFetcher ?? createKeyFetcher(keyFetcherOptions);

  const waiters = createWaiters(
    () =>
      `peer ${origin} accepted ${received.length} (${duplicates} duplicates), refused ${rejectedCount}` +
      (rejected.length > 0
        ? `; last refusals: ${rejected
            .slice(-3)
            .map((r) => `${r.status} ${r.reason}`)
            .join(" | ")}`
        : ""),
  );

  function actorDocument(actor: PeerActor): Record<string, unknown> {
    return {
      "@context": [AS_CONTEXT, SECURITY_CONTEXT],
      id: actor.id,
      type: "Person",
      preferredUsername: actor.username,
      name: actor.username,
      summary: `Test peer user ${actor.username}`,
      url: `${origin}/@${actor.username}`,
      inbox: actor.inbox,
      outbox: actor.outbox,
      followers: actor.followers,
      following: `${actor.id}/following`,
      manuallyApprovesFollowers: false,
      discoverable: true,
      ...(actor.sharedInbox ? { endpoints: { sharedInbox: actor.sharedInbox } } : {}),
      publicKey: { id: actor.keyId, owner: actor.id, publicKeyPem: actor.publicKeyPem },
    };
  }

  function reject(
    res: ServerResponse,
    inbox: string,
    status: number,
    reason: string,
    verify?: VerifyResult,
    method = "POST",
  ): void {
    const rejection: RejectedDelivery = {
      method,
      inbox,
      status,
      reason,
      scheme: verify?.scheme ?? null,
      keyId: verify?.keyId ?? null,
      at: Date.now(),
    };
    rejectedCount++;
    rejected.push(rejection);
    if (rejected.length > MAX_LOG) rejected.splice(0, rejected.length - MAX_LOG);
    sendJson(res, status, { error: reason });
    options.onRejected?.(rejection);
    waiters.notify();
  }

  function sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const entry = {
        timer: setTimeout(() => {
          delays.delete(entry);
          resolve();
        }, ms),
        resolve,
      };
      delays.add(entry);
    });
  }

  /** Verifies an incoming request's signature (Mastodon < 4.5 reads RFC 9421 as malformed). */
  function verifyIncoming(req: IncomingMessage, body: Buffer | null): Promise<VerifyResult> {
    return verifyRequest(
      {
        method: req.method ?? "GET",
        url: `http://${req.headers.host ?? authority}${req.url ?? "/"}`,
        headers: rawHeaderPairs(req),
        body,
      },
      keyFetcher.fetchKey,
      { rfc9421, ...(options.maxSkewMs !== undefined ? { maxSkewMs: options.maxSkewMs } : {}) },
    );
  }

  /** Secure mode for GETs; false when it has answered (401). */
  async function authorizeFetch(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    requireSignature: boolean,
  ): Promise<boolean> {
    if (!authorizedFetch) return true;
    if (signatureSchemeOf(rawHeaderPairs(req)) === null) {
      if (!requireSignature) return true;
      reject(res, url.href, 401, "request is not signed", undefined, req.method);
      return false;
    }
    const verified = await verifyIncoming(req, null);
    if (!verified.ok) {
      reject(res, url.href, 401, verified.reason, verified, req.method);
      return false;
    }
    signedFetches.push({
      url: url.href,
      keyId: verified.keyId,
      owner: verified.owner,
      scheme: verified.scheme,
      at: Date.now(),
    });
    if (signedFetches.length > MAX_LOG) signedFetches.splice(0, signedFetches.length - MAX_LOG);
    waiters.notify();
    return true;
  }

  async function handleInbox(req: IncomingMessage, res: ServerResponse, recipient: string | null) {
    const inbox = recipient === null ? `${origin}/inbox` : `${origin}/users/${recipient}/inbox`;
    let body: Buffer;
    try {
      body = await readBody(req, maxBodyBytes);
    } catch (error) {
      if (error instanceof BodyTooLarge) return reject(res, inbox, 413, "body too large");
      throw error;
    }
    if (!isActivityJson(req.headers["content-type"])) {
      return reject(res, inbox, 415, `unsupported content type ${req.headers["content-type"]}`);
    }
    const verified = await verifyIncoming(req, body);
    if (!verified.ok) return reject(res, inbox, 401, verified.reason, verified);

    let activity: unknown;
    try {
      activity = JSON.parse(body.toString("utf8"));
    } catch {
      return reject(res, inbox, 400, "body is not JSON", verified);
    }
    if (!isObject(activity)) return reject(res, inbox, 400, "body is not a JSON object", verified);
    const actor = idOf(activity.actor);
    if (actor === null) return reject(res, inbox, 400, "activity has no actor", verified);
    if (verified.owner === null || actor !== verified.owner) {
      return reject(
        res,
        inbox,
        401,
        `activity actor ${actor} does not own key ${verified.keyId} (owner ${verified.owner})`,
        verified,
      );
    }

    const delay = typeof inboxDelayMs === "function" ? inboxDelayMs() : inboxDelayMs;
    if (delay > 0) await sleep(delay);
    if (closed) {
      res.destroy();
      return;
    }

    const activityId = typeof activity.id === "string" ? activity.id : null;
    const attempt = activityId === null ? 1 : (attempts.get(activityId) ?? 0) + 1;
    if (intercept) {
      const status = await intercept({
        inbox,
        recipient,
        activity,
        keyId: verified.keyId,
        scheme: verified.scheme,
        attempt,
      });
      if (status !== undefined) {
        if (activityId !== null) attempts.set(activityId, attempt);
        return reject(res, inbox, status, `intercepted (attempt ${attempt})`, verified);
      }
    }

    const now = Date.now();
    const record: ReceivedActivity = {
      inbox,
      recipient,
      activity:
        options.retainActivities === false
          ? { id: activityId ?? undefined, type: activity.type, actor }
          : activity,
      activityId,
      type: typeof activity.type === "string" ? activity.type : null,
      actor,
      keyId: verified.keyId,
      scheme: verified.scheme,
      algorithm: verified.algorithm,
      userAgent: req.headers["user-agent"] ?? null,
      receivedAt: now,
    };
    const duplicate = activityId !== null && seenIds.has(activityId);
    if (activityId !== null) {
      attempts.set(activityId, attempt);
      seenIds.add(activityId);
    }
    deliveries++;
    firstDeliveryAt ??= now;
    lastDeliveryAt = now;
    const perRecipient = byRecipient.get(recipient ?? "*") ?? { deliveries: 0, ids: new Set() };
    perRecipient.deliveries++;
    if (activityId !== null) perRecipient.ids.add(activityId);
    byRecipient.set(recipient ?? "*", perRecipient);
    if (duplicate) duplicates++;
    else received.push(record);
    send(res, 202, JSON_HEADERS, "");
    options.onAccepted?.(record, duplicate);
    waiters.notify();
  }

  function handleWebFinger(res: ServerResponse, url: URL) {
    const resource = url.searchParams.get("resource") ?? "";
    let actor: PeerActor | undefined;
    const acct = /^acct:([^@]+)@(.+)$/.exec(resource);
    if (acct) {
      const [, name = "", domain = ""] = acct;
      if (domain.toLowerCase() === authority || domain.toLowerCase() === host) {
        actor = actorsByName.get(name);
      }
    } else {
      actor = actors.find((a) => a.id === resource);
    }
    if (!actor) return sendJson(res, 404, { error: "not found" });
    sendJson(
      res,
      200,
      {
        subject: actor.acct,
        aliases: [actor.id],
        links: [
          { rel: "http://webfinger.net/rel/profile-page", type: "text/html", href: actor.id },
          { rel: "self", type: "application/activity+json", href: actor.id },
        ],
      },
      JRD_HEADERS,
    );
  }

  function emptyCollection(id: string) {
    return {
      "@context": AS_CONTEXT,
      id,
      type: "OrderedCollection",
      totalItems: 0,
      orderedItems: [],
    };
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", origin);
    const path = url.pathname;
    const method = req.method ?? "GET";
    const userMatch = /^\/users\/([^/]+)(?:\/(inbox|outbox|followers|following))?$/.exec(path);
    const user = userMatch ? actorsByName.get(decodeURIComponent(userMatch[1] ?? "")) : undefined;

    if (method === "POST") {
      if (path === "/inbox" && hasSharedInbox) return handleInbox(req, res, null);
      if (user && userMatch?.[2] === "inbox") return handleInbox(req, res, user.username);
      req.resume();
      return sendJson(res, 404, { error: "not found" });
    }
    if (method !== "GET" && method !== "HEAD") {
      req.resume();
      return sendJson(res, 405, { error: "method not allowed" });
    }
    if (path === "/.well-known/webfinger") return handleWebFinger(res, url);
    if (path === "/.well-known/nodeinfo") {
      return sendJson(res, 200, {
        links: [
          {
            rel: "http://nodeinfo.diaspora.software/ns/schema/2.1",
            href: `${origin}/nodeinfo/2.1`,
          },
        ],
      });
    }
    if (path === "/nodeinfo/2.1") {
      return sendJson(res, 200, {
        version: "2.1",
        software: { name: "tidings-test-peer", version: "1.0.0" },
        protocols: ["activitypub"],
        services: { inbound: [], outbound: [] },
        openRegistrations: false,
        usage: { users: { total: actors.length } },
        metadata: {},
      });
    }
    if (user) {
      const part = userMatch?.[2];
      if (part !== "inbox" && !(await authorizeFetch(req, res, url, part !== undefined))) return;
      if (part === undefined) {
        let doc = actorDocuments.get(user.username);
        if (doc === undefined) {
          doc = JSON.stringify(actorDocument(user));
          actorDocuments.set(user.username, doc);
        }
        return send(res, 200, ACTIVITY_HEADERS, doc);
      }
      if (part !== "inbox")
        return sendJson(res, 200, emptyCollection(`${user.id}/${part}`), ACTIVITY_HEADERS);
      return sendJson(res, 405, { error: "method not allowed" });
    }
    sendJson(res, 404, { error: "not found" });
  }

  const server: Server = createServer({ keepAlive: true }, (req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { error: String(error) });
      else res.destroy();
    });
  });
  // nginx's default keepalive_timeout, which fronts most Mastodon servers: a sender that posts
  // again within it reuses its connection.
  server.keepAliveTimeout = 75_000;

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  authority = `${host}:${port}`;
  origin = `http://${authority}`;
  const publicOrigin = options.publicOrigin ?? origin;
  const inboxOrigin = options.inboxOrigin?.(port) ?? origin;
  actors = usernames.map((username) => {
    const id = `${publicOrigin}/users/${username}`;
    return {
      username,
      id,
      keyId: `${id}#main-key`,
      inbox: `${inboxOrigin}/users/${username}/inbox`,
      sharedInbox: hasSharedInbox ? `${inboxOrigin}/inbox` : null,
      outbox: `${id}/outbox`,
      followers: `${id}/followers`,
      origin: publicOrigin,
      authority,
      acct: `acct:${username}@${authority}`,
      privateKey: keyPair.privateKey,
      publicKeyPem: keyPair.publicKeyPem,
    };
  });
  for (const actor of actors) actorsByName.set(actor.username, actor);
  if (options.signKeyFetches && !options.keyFetcher && actors[0]) {
    keyFetcher = createKeyFetcher({
      ...keyFetcherOptions,
      signAs: { keyId: actors[0].keyId, privateKey: actors[0].privateKey },
    });
  }

  const actor = (username: string): PeerActor => {
    const found = actorsByName.get(username);
    if (!found) throw new Error(`peer ${origin} has no actor ${username}`);
    return found;
  };

  return {
    origin,
    host,
    port,
    authority,
    actors,
    received,
    rejected,
    signedFetches,
    get duplicates() {
      return duplicates;
    },
    get deliveries() {
      return deliveries;
    },
    get lastDeliveryAt() {
      return lastDeliveryAt;
    },
    get keyFetcher() {
      return keyFetcher;
    },
    actor,
    actorUrl: (username) => actor(username).id,
    inboxUrl: (username) => {
      if (username !== undefined) return actor(username).inbox;
      if (!hasSharedInbox) throw new Error(`peer ${origin} has no shared inbox`);
      return `${options.inboxOrigin?.(port) ?? origin}/inbox`;
    },
    configure(changes) {
      if (changes.inboxDelayMs !== undefined) inboxDelayMs = changes.inboxDelayMs;
      if (changes.rfc9421 !== undefined) rfc9421 = changes.rfc9421;
      if ("intercept" in changes) intercept = changes.intercept;
      if (changes.authorizedFetch !== undefined) authorizedFetch = changes.authorizedFetch;
    },
    waitFor(predicate, timeoutMs) {
      let index = 0;
      let found: ReceivedActivity | undefined;
      return waiters
        .waitUntil(() => {
          if (index > received.length) index = 0;
          for (; index < received.length; index++) {
            const record = received[index] as ReceivedActivity;
            if (predicate(record)) {
              found = record;
              return true;
            }
          }
          return false;
        }, timeoutMs)
        .then(() => found as ReceivedActivity);
    },
    waitForCount(predicate, count, timeoutMs) {
      let index = 0;
      let found: ReceivedActivity[] = [];
      return waiters
        .waitUntil(() => {
          if (index > received.length) {
            index = 0;
            found = [];
          }
          for (; index < received.length && found.length < count; index++) {
            const record = received[index] as ReceivedActivity;
            if (predicate(record)) found.push(record);
          }
          return found.length >= count;
        }, timeoutMs)
        .then(() => found);
    },
    waitUntil: waiters.waitUntil,
    stats() {
      const perRecipient: Record<string, { deliveries: number; unique: number }> = {};
      for (const [name, entry] of byRecipient) {
        perRecipient[name] = { deliveries: entry.deliveries, unique: entry.ids.size };
      }
      return {
        origin,
        deliveries,
        unique: received.length,
        duplicates,
        rejected: rejectedCount,
        firstDeliveryAt,
        lastDeliveryAt,
        byRecipient: perRecipient,
      };
    },
    reset() {
      received.length = 0;
      rejected.length = 0;
      signedFetches.length = 0;
      attempts.clear();
      seenIds.clear();
      byRecipient.clear();
      deliveries = 0;
      duplicates = 0;
      rejectedCount = 0;
      firstDeliveryAt = null;
      lastDeliveryAt = null;
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const entry of delays) {
        clearTimeout(entry.timer);
        entry.resolve();
      }
      delays.clear();
      waiters.abortAll(`peer ${origin} closed`);
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
