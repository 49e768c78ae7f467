import { createHmac, randomBytes } from "node:crypto";
import type { Clock } from "../domain/ports.ts";
import { type FeedFormat, feedDocumentUrl, websubLinkHeader } from "../domain/urls.ts";
import type { AddressVerdict } from "../federation/address-guard.ts";
import type { Logger } from "../logger.ts";
import { grantedLeaseSeconds, type WebSubRequest } from "../schemas/websub.schema.ts";
import type { WebSubRepository, WebSubSubscription } from "../storage/websub-repository.ts";
import { parseFeedFile } from "./document-answer.ts";
import type { EncodedDocument } from "./encoded-document.ts";

export interface WebSubHubLimits {
  /** Live subscriptions one callback host may hold (WEBSUB_MAX_SUBSCRIPTIONS_PER_HOST). */
  readonly subscriptionsPerHost: number;
  /** Verifications of one callback host waiting or running at once. */
  readonly pendingVerificationsPerHost: number;
  /** Verifications waiting or running at once, all hosts together. */
  readonly pendingVerifications: number;
  /** Longest a verification GET or a content delivery may take (WEBSUB_TIMEOUT_MS). */
  readonly timeoutMs: number;
  /** Deliveries running at once (WEBSUB_CONCURRENCY). */
  readonly concurrency: number;
  /** Tries of one delivery before it is given up (a later change tries again). */
  readonly maxAttempts: number;
  /** First retry delay; doubled per further attempt. */
  readonly retryDelayMs: number;
}

export const DEFAULT_WEBSUB_LIMITS: WebSubHubLimits = {
  subscriptionsPerHost: 100,
  pendingVerificationsPerHost: 10,
  pendingVerifications: 1_000,
  timeoutMs: 10_000,
  concurrency: 16,
  maxAttempts: 6,
  retryDelayMs: 1_000,
};

/** Bounds the memory of what was delivered (past it, a repeat is possible, never a loss). */
const MAX_REMEMBERED_DELIVERIES = 100_000;

export interface WebSubHubDeps {
  readonly publicUrl: string;
  readonly repo: WebSubRepository;
  readonly clock: Clock;
  readonly logger: Logger;
  /** The address policy every callback is held to (federation/address-guard.ts). */
  readonly checkCallback: (url: string) => Promise<AddressVerdict>;
  /** The current document of a feed, or null when there is no such feed. */
  readonly document: (slug: string, format: FeedFormat) => Promise<EncodedDocument | null>;
  readonly fetch?: typeof fetch;
  readonly limits?: Partial<WebSubHubLimits>;
  /** Waits between retries; tests may shorten it. */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** Why a subscription request is refused at once (before the 202). */
export type WebSubRefusal =
  | { readonly type: "callback-refused"; readonly reason: string }
  | { readonly type: "too-many-subscriptions"; readonly host: string }
  | { readonly type: "too-many-verifications"; readonly host: string };

/**
 * A WebSub hub (W3C WebSub) for the feed documents: takes subscription requests, verifies the
 * subscriber's intent, and pushes each new document (a fat ping) to every verified subscriber,
 * signed with the subscriber's secret.
 */
export class WebSubHub {
  readonly #deps: WebSubHubDeps;
  readonly #limits: WebSubHubLimits;
  readonly #fetch: typeof fetch;
  readonly #sleep: (ms: number) => Promise<void>;
  /** Verifications waiting or running, by callback host. */
  readonly #pending = new Map<string, number>();
  #pendingTotal = 0;
  /** Work started in the background (verifications, deliveries): `idle()` waits for it. */
  readonly #running = new Set<Promise<void>>();
  /** Deliveries in hand, by topic + callback; `dirty`: the document changed meanwhile. */
  readonly #deliveries = new Map<string, { dirty: boolean }>();
  /** The ETag each subscriber last accepted, so the same document is never sent twice. */
  readonly #delivered = new Map<string, string>();
  #slots: number;
  readonly #waiting: (() => void)[] = [];

  constructor(deps: WebSubHubDeps) {
    this.#deps = deps;
    this.#limits = { ...DEFAULT_WEBSUB_LIMITS, ...deps.limits };
    this.#fetch = deps.fetch ?? ((input, init) => fetch(input, init));
    this.#sleep = deps.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.#slots = this.#limits.concurrency;
  }

  /**
   * Checks a request (callback address, host limits); when accepted, the intent is verified
   * in the background, and the answer to the subscriber is `202 Accepted`.
   */
  async request(request: WebSubRequest): Promise<WebSubRefusal | undefined> {
    const callback = request["hub.callback"];
    const verdict = await this.#deps.checkCallback(callback);
    if (!verdict.ok) return { type: "callback-refused", reason: verdict.reason };
    const host = new URL(callback).host.toLowerCase();
    const topic = request["hub.topic"];
    if (request["hub.mode"] === "subscribe") {
      const held = await this.#deps.repo.countOtherByHost(
        host,
        topic,
        callback,
        this.#deps.clock.now(),
      );
      if (held >= this.#limits.subscriptionsPerHost) {
        return { type: "too-many-subscriptions", host };
      }
    }
    const pendingHere = this.#pending.get(host) ?? 0;
    if (
      pendingHere >= this.#limits.pendingVerificationsPerHost ||
      this.#pendingTotal >= this.#limits.pendingVerifications
    ) {
      return { type: "too-many-verifications", host };
    }
    this.#pending.set(host, pendingHere + 1);
    this.#pendingTotal++;
    this.#track(
      this.#verify(request, host).finally(() => {
        const left = (this.#pending.get(host) ?? 1) - 1;
        if (left > 0) this.#pending.set(host, left);
        else this.#pending.delete(host);
        this.#pendingTotal--;
      }),
    );
    return undefined;
  }

  /** The feeds' documents changed (after the commit): push the new ones to their subscribers. */
  feedsChanged(slugs: readonly string[]): void {
    for (const slug of new Set(slugs)) this.#track(this.#distribute(slug));
  }

  /** Resolves when no verification or delivery is in hand (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.#running.size > 0) await Promise.allSettled([...this.#running]);
  }

  #track(work: Promise<void>): void {
    const tracked = work.catch((error) => this.#deps.logger.error("websub hub", { error }));
    this.#running.add(tracked);
    void tracked.finally(() => this.#running.delete(tracked));
  }

  /** The topic as a feed document of this service, or undefined for any other URL. */
  #topicOf(topic: string): { slug: string; format: FeedFormat } | undefined {
    const prefix = `${this.#deps.publicUrl}/feeds/`;
    if (!topic.startsWith(prefix)) return undefined;
    const target = parseFeedFile(topic.slice(prefix.length));
    if (!target || feedDocumentUrl(this.#deps.publicUrl, target.slug, target.format) !== topic) {
      return undefined;
    }
    return target;
  }

  async #verify(request: WebSubRequest, host: string): Promise<void> {
    const { repo, clock, logger } = this.#deps;
    const mode = request["hub.mode"];
    const topic = request["hub.topic"];
    const callback = request["hub.callback"];
    const target = this.#topicOf(topic);
    const known = target && (await this.#deps.document(target.slug, target.format));
    if (!target || !known) {
      if (mode === "subscribe") {
        await this.#get(callback, {
          "hub.mode": "denied",
          "hub.topic": topic,
          "hub.reason": "no such feed document on this hub",
        }).catch(() => undefined);
      }
      return;
    }
    const challenge = randomBytes(24).toString("base64url");
    const leaseSeconds = grantedLeaseSeconds(request["hub.lease_seconds"]);
    const answer = await this.#get(callback, {
      "hub.mode": mode,
      "hub.topic": topic,
      "hub.challenge": challenge,
      ...(mode === "subscribe" ? { "hub.lease_seconds": String(leaseSeconds) } : {}),
    }).catch((error: unknown) => {
      logger.info("websub: verification failed", { callback, error: String(error) });
      return undefined;
    });
    if (!answer || answer.status < 200 || answer.status > 299 || answer.body !== challenge) {
      logger.info("websub: intent not verified", { callback, mode, status: answer?.status });
      return;
    }
    if (mode === "unsubscribe") {
      await repo.remove(topic, callback);
      return;
    }
    const now = clock.now();
    await repo.upsert({
      feedSlug: target.slug,
      format: target.format,
      topic,
      callback,
      callbackHost: host,
      secret: request["hub.secret"] ?? null,
      leaseSeconds,
      expiresAt: new Date(now.getTime() + leaseSeconds * 1000),
      verifiedAt: now,
    });
  }

  /** A verification GET: its status and body (at most 1 kB is read). */
  async #get(callback: string, params: Record<string, string>) {
    const url = new URL(callback);
    for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
    const response = await this.#fetch(url, {
      redirect: "manual",
      signal: AbortSignal.timeout(this.#limits.timeoutMs),
    });
    const body = (await response.text()).slice(0, 1024);
    return { status: response.status, body };
  }

  async #distribute(slug: string): Promise<void> {
    const now = this.#deps.clock.now();
    await this.#deps.repo.dropExpired(now);
    const subscriptions = await this.#deps.repo.listLive(slug, now);
    await Promise.all(subscriptions.map((subscription) => this.#deliver(subscription)));
  }

  /**
   * Delivers the newest document to one subscriber. A subscriber already in hand (sending or
   * waiting to retry) is only marked: when that finishes it gets the newest document once,
   * never every intermediate one.
   */
  async #deliver(subscription: WebSubSubscription): Promise<void> {
    const key = `${subscription.topic}\n${subscription.callback}`;
    const inHand = this.#deliveries.get(key);
    if (inHand) {
      inHand.dirty = true;
      return;
    }
    const state = { dirty: true };
    this.#deliveries.set(key, state);
    try {
      while (state.dirty) {
        state.dirty = false;
        await this.#deliverNewest(subscription, key);
      }
    } finally {
      this.#deliveries.delete(key);
    }
  }

  async #deliverNewest(subscription: WebSubSubscription, key: string): Promise<void> {
    const { repo, clock, logger } = this.#deps;
    const format = subscription.format as FeedFormat;
    for (let attempt = 1; attempt <= this.#limits.maxAttempts; attempt++) {
      const document = await this.#deps.document(subscription.feedSlug, format);
      if (!document || this.#delivered.get(key) === document.etag) return;
      const result = await this.#withSlot(() => this.#post(subscription, format, document));
      await repo.recordDelivery(subscription.topic, subscription.callback, clock.now(), result);
      if (result.startsWith("2")) {
        if (this.#delivered.size >= MAX_REMEMBERED_DELIVERIES) this.#delivered.clear();
        this.#delivered.set(key, document.etag);
        return;
      }
      if (result === "410") {
        this.#delivered.delete(key);
        await repo.remove(subscription.topic, subscription.callback);
        return;
      }
      if (attempt < this.#limits.maxAttempts) {
        await this.#sleep(this.#limits.retryDelayMs * 2 ** (attempt - 1));
      }
    }
    logger.warn("websub: delivery given up", { callback: subscription.callback });
  }

  /** One fat ping: the whole document, its type and links, signed when there is a secret. */
  async #post(
    subscription: WebSubSubscription,
    format: FeedFormat,
    document: EncodedDocument,
  ): Promise<string> {
    const headers: Record<string, string> = {
      "content-type": document.contentType,
      link: websubLinkHeader(this.#deps.publicUrl, subscription.feedSlug, format),
    };
    if (subscription.secret) {
      const hmac = createHmac("sha256", subscription.secret).update(document.identity);
      headers["x-hub-signature"] = `sha256=${hmac.digest("hex")}`;
    }
    try {
      const response = await this.#fetch(subscription.callback, {
        method: "POST",
        headers,
        body: document.identity,
        redirect: "manual",
        signal: AbortSignal.timeout(this.#limits.timeoutMs),
      });
      await response.body?.cancel().catch(() => undefined);
      return String(response.status);
    } catch (error) {
      return error instanceof Error && error.name === "TimeoutError" ? "timeout" : "unreachable";
    }
  }

  async #withSlot<T>(work: () => Promise<T>): Promise<T> {
    while (this.#slots === 0) await new Promise<void>((resolve) => this.#waiting.push(resolve));
    this.#slots--;
    try {
      return await work();
    } finally {
      this.#slots++;
      this.#waiting.shift()?.();
    }
  }
}
