import { randomBytes } from "node:crypto";
import type { Clock } from "../domain/ports.ts";
import { type FeedFormat, feedDocumentUrl } from "../domain/urls.ts";
import type { AddressVerdict } from "../federation/address-guard.ts";
import type { Logger } from "../logger.ts";
import { grantedLeaseSeconds, type WebSubRequest } from "../schemas/websub.schema.ts";
import type { WebSubRepository } from "../storage/websub-repository.ts";
import { parseFeedFile } from "./document-answer.ts";
import type { EncodedDocument } from "./encoded-document.ts";

export interface WebSubHubLimits {
  /** Live subscriptions one callback host may hold (WEBSUB_MAX_SUBSCRIPTIONS_PER_HOST). */
  readonly subscriptionsPerHost: number;
  /** Subscriptions the hub holds in all, every host together (WEBSUB_MAX_SUBSCRIPTIONS). */
  readonly subscriptions: number;
  /** Verifications of one callback host waiting or running at once. */
  readonly pendingVerificationsPerHost: number;
  /** Verifications waiting or running at once, all hosts together. */
  readonly pendingVerifications: number;
  /** Longest a verification GET may take (WEBSUB_TIMEOUT_MS). */
  readonly timeoutMs: number;
}

export const DEFAULT_WEBSUB_LIMITS: WebSubHubLimits = {
  subscriptionsPerHost: 100,
  subscriptions: 100_000,
  pendingVerificationsPerHost: 10,
  pendingVerifications: 1_000,
  timeoutMs: 10_000,
};

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
  /**
   * Keeps a verification running after the 202 has been sent (the Worker: its invocation's
   * waitUntil); under Node it simply runs on.
   */
  readonly background?: (work: Promise<void>) => void;
  /** Told of each verified subscription (the distribution watches the feed's schedule). */
  readonly onSubscribed?: (feedSlug: string) => Promise<void>;
}

/** Why a subscription request is refused at once (before the 202). */
export type WebSubRefusal =
  | { readonly type: "callback-refused"; readonly reason: string }
  | { readonly type: "too-many-subscriptions"; readonly host: string }
  | { readonly type: "hub-full" }
  | { readonly type: "too-many-verifications"; readonly host: string };

/**
 * A WebSub hub (W3C WebSub) for the feed documents: takes subscription requests and verifies
 * the subscriber's intent. Pushing the documents is the distribution's (websub-distribution.ts).
 */
export class WebSubHub {
  readonly #deps: WebSubHubDeps;
  readonly #limits: WebSubHubLimits;
  readonly #fetch: typeof fetch;
  /** Verifications waiting or running, by callback host. */
  readonly #pending = new Map<string, number>();
  #pendingTotal = 0;
  /** Verifications started in the background: `idle()` waits for them. */
  readonly #running = new Set<Promise<void>>();

  constructor(deps: WebSubHubDeps) {
    this.#deps = deps;
    this.#limits = { ...DEFAULT_WEBSUB_LIMITS, ...deps.limits };
    this.#fetch = deps.fetch ?? ((input, init) => fetch(input, init));
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
      const all = await this.#deps.repo.countOtherLive(topic, callback, this.#deps.clock.now());
      if (all >= this.#limits.subscriptions) {
        return { type: "hub-full" };
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

  /** Resolves when no verification is in hand (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.#running.size > 0) await Promise.allSettled([...this.#running]);
  }

  #track(work: Promise<void>): void {
    const tracked = work.catch((error) => this.#deps.logger.error("websub hub", { error }));
    this.#running.add(tracked);
    void tracked.finally(() => this.#running.delete(tracked));
    this.#deps.background?.(tracked);
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
    await this.#deps.onSubscribed?.(target.slug);
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
}
