import type { Clock } from "../domain/ports.ts";
import { type FeedFormat, websubLinkHeader } from "../domain/urls.ts";
import type { Logger } from "../logger.ts";
import {
  readWebSubJob,
  type WebSubDeliveryTarget,
  type WebSubDistributionStore,
} from "../storage/websub-distribution-store.ts";
import { type CallbackPoster, type FatPingResult, fetchPoster, sendFatPing } from "./fat-ping.ts";
import type { VersionedFeedDocuments } from "./versioned-feed-documents.ts";

export interface WebSubDistributionLimits {
  /** Longest one content POST may take (WEBSUB_TIMEOUT_MS). */
  readonly timeoutMs: number;
  /** Tries of one delivery before it is given up (the next change tries again). */
  readonly maxAttempts: number;
}

/** The queue the jobs travel on: the PostgreSQL queue's `websub` queue on Node. */
export interface WebSubJobQueue {
  listen(
    handler: (message: unknown) => Promise<void>,
    options: { signal: AbortSignal },
  ): Promise<void>;
  /** Runs the jobs due now, and those they queue, then resolves (no listener: Workers). */
  drain(handler: (message: unknown) => Promise<void>): Promise<void>;
  /** Wakes this process's consumers (a committed change queued work). */
  wake(): void;
}

export interface WebSubDistributionDeps {
  readonly publicUrl: string;
  readonly store: WebSubDistributionStore;
  readonly documents: VersionedFeedDocuments;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly limits: WebSubDistributionLimits;
  readonly queue: WebSubJobQueue;
  /** When the feed's documents next change by themselves (scheduled articles and updates). */
  readonly nextScheduledChange: (slug: string) => Promise<Date | null>;
  /** Sends the POSTs; default: `fetch`, each bounded by `limits.timeoutMs`. */
  readonly poster?: CallbackPoster;
}

/** A failed content POST, thrown so the queue retries the job with its backoff. */
export class WebSubDeliveryFailed extends Error {
  constructor(callback: string, result: FatPingResult, attempts: number) {
    super(`websub: ${callback} answered ${result} (attempt ${attempts}); retrying`);
    this.name = "WebSubDeliveryFailed";
  }
}

/** Rounds of "a newer version came while sending" one job follows before it lets go. */
const MAX_ROUNDS_PER_JOB = 5;

/**
 * Pushes each new feed document (a fat ping) to every verified subscriber, through the durable
 * queue: a change commits a topic job with it (storage/websub-distribution-store.ts), the topic
 * job queues one delivery job per subscriber, and a delivery job sends the document current
 * when it runs. Failures are retried by the queue with its backoff, up to `maxAttempts`; `410`
 * ends the subscription; each POST is bounded by `timeoutMs`, so a hanging callback holds one
 * of the queue's slots no longer than that. A process killed mid-distribution leaves its jobs
 * leased in the queue, which hands them to the next consumer.
 */
export class WebSubDistribution {
  readonly #deps: WebSubDistributionDeps;
  readonly #poster: CallbackPoster;

  constructor(deps: WebSubDistributionDeps) {
    this.#deps = deps;
    this.#poster =
      deps.poster ?? fetchPoster((input, init) => fetch(input, init), deps.limits.timeoutMs);
  }

  /** Consumes the jobs until `signal` aborts and the jobs in hand are done. */
  async run(signal: AbortSignal): Promise<void> {
    try {
      await this.#deps.queue.listen((message) => this.handle(message), { signal });
    } finally {
      this.#poster.close?.();
    }
  }

  /**
   * Runs the jobs due now and those they queue, then resolves: where no process listens (the
   * Worker, after a change and from its Cron Trigger). Retries wait for a later drain.
   */
  async drain(): Promise<void> {
    try {
      await this.#deps.queue.drain((message) => this.handle(message));
    } finally {
      this.#poster.close?.();
    }
  }

  /** A change was committed: let this process's consumers look now, not at the next poll. */
  wake(): void {
    this.#deps.queue.wake();
  }

  /** Runs one job; throws to have the queue retry it later. */
  async handle(message: unknown): Promise<void> {
    const job = readWebSubJob(message);
    if (!job) {
      this.#deps.logger.warn("websub: dropped a message that is no job of ours", { message });
      return;
    }
    if (job.type === "websub-topic") await this.#fanOut(job.feed);
    else await this.#deliver(job.subscription);
  }

  /** Makes sure a topic job waits for the feed's next scheduled change (a new subscriber). */
  /** Feeds whose scheduled article was released (by the relay): distribute them now. */
  async released(slugs: readonly string[]): Promise<void> {
    for (const slug of slugs) await this.#deps.store.scheduleTopic(slug, 0);
    this.wake();
  }

  async watchSchedule(slug: string): Promise<void> {
    const next = await this.#deps.nextScheduledChange(slug);
    if (!next) return;
    const delayMs = Math.max(0, next.getTime() - this.#deps.clock.now().getTime());
    await this.#deps.store.scheduleTopic(slug, delayMs);
  }

  async #fanOut(slug: string): Promise<void> {
    const { store, clock, documents } = this.#deps;
    const now = clock.now();
    const { version, queued } = await store.fanOut(slug, now);
    this.#deps.logger.debug("websub: feed changed", { feed: slug, version, queued });
    if (queued > 0) {
      // Rendered once, here, while this process's consumers claim the delivery jobs just
      // committed (they wait for this render, rather than the render waiting for them).
      const rendering = documents.atLeast(slug, "rss", version);
      this.wake();
      await rendering;
    }
    await this.watchSchedule(slug);
  }

  async #deliver(id: string): Promise<void> {
    const { store, clock, logger } = this.#deps;
    let subscription = await store.findForDelivery(id);
    for (let round = 0; subscription && round < MAX_ROUNDS_PER_JOB; round++) {
      if (subscription.expiresAt.getTime() <= clock.now().getTime()) {
        await store.remove(id);
        return;
      }
      const owed = await this.#sendNewest(subscription);
      if (!owed) return;
      subscription = await store.findForDelivery(id);
    }
    if (subscription) logger.info("websub: delivery job let go", { subscription: id });
  }

  /** Sends what is current unless the subscriber has it; returns whether more is owed. */
  async #sendNewest(subscription: WebSubDeliveryTarget): Promise<boolean> {
    const { store, clock, logger, limits } = this.#deps;
    const format = subscription.format as FeedFormat;
    const { version, document } = await this.#deps.documents.atLeast(
      subscription.feedSlug,
      format,
      subscription.targetVersion,
    );
    const at = clock.now();
    // No such feed any more, or the very document it has: nothing to send.
    if (!document || document.etag === subscription.deliveredEtag) {
      return store.settle({
        id: subscription.id,
        version,
        etag: document?.etag ?? subscription.deliveredEtag,
        at,
      });
    }
    const result = await sendFatPing(this.#poster, {
      callback: subscription.callback,
      secret: subscription.secret,
      document,
      link: websubLinkHeader(this.#deps.publicUrl, subscription.feedSlug, format),
    });
    if (result.startsWith("2")) {
      return store.settle({ id: subscription.id, version, etag: document.etag, at, result });
    }
    if (result === "410") {
      await store.remove(subscription.id);
      return false;
    }
    const failures = await store.recordFailure(subscription.id, at, result);
    if (failures >= limits.maxAttempts) {
      logger.warn("websub: delivery given up", { callback: subscription.callback, result });
      await store.giveUp(subscription.id);
      return false;
    }
    throw new WebSubDeliveryFailed(subscription.callback, result, failures);
  }
}
