import type { Context, Federation, SendActivityOptions } from "@fedify/fedify";
import {
  type Activity,
  type Create,
  Delete,
  PUBLIC_COLLECTION,
  type Recipient,
  Update,
} from "@fedify/vocab";
import { isPublic } from "../domain/article.ts";
import type { Feed } from "../domain/feed.ts";
import type { QuoteAuthorization } from "../domain/quotes.ts";
import { correctionInThread, visibleAt } from "../domain/thread-announcements.ts";
import {
  isDatabaseUnavailable,
  outageRetryDelayMs,
  unavailableReason,
} from "../storage/database-unavailable.ts";
import type { QueuedActivity } from "../storage/delivery-record-store.ts";
import type { ClaimedOutboxEntry } from "../storage/federation-outbox.ts";
import { toActor } from "./actor.ts";
import type { FederationData } from "./context-data.ts";
import { toCorrectionActivity } from "./correction-objects.ts";
import { toMove } from "./move-objects.ts";
import {
  type ObjectContext,
  toCreate,
  toDelete,
  toLiveUpdateActivity,
  toUpdate,
} from "./objects.ts";
import { actorUpdateUri, objectUri } from "./paths.ts";
import { toQuoteAccept, toQuoteAuthorizationDelete } from "./quote-objects.ts";
import { toRecipients } from "./recipients.ts";

export interface OutboxRelayOptions {
  /** How long a claimed entry is reserved; a relay that dies holds it no longer than this. */
  readonly leaseMs?: number;
  /** Longest sleep between looks at the outbox (other processes' commits, scheduled articles). */
  readonly pollIntervalMs?: number;
  /** Inboxes per `sendActivity` call (default `RELAY_CHUNK_INBOXES`). */
  readonly chunkInboxes?: number;
  /** Writes a pending row per remote host for each article activity (the delivery record). */
  readonly recordDeliveries?: boolean;
}

/**
 * Inboxes handed to one `sendActivity` call. Fedify builds every message of a call before the
 * first is queued (the activity, its headers, one per inbox) and the queue serialises them in one
 * go; at 10,000 servers that is tens of MB at once in a 192 MB heap. In chunks, a fan-out holds
 * one chunk's messages at a time, and costs one more signed activity per chunk.
 */
export const RELAY_CHUNK_INBOXES = 1_000;

/**
 * One queued delivery per inbox, shared inboxes preferred. `fanout: "skip"`: this relay already
 * runs in the background, so the messages are enqueued here and now; Fedify's default would
 * first enqueue one message listing every inbox (0.6 MB for 1,000 servers), which a consumer
 * then claims and expands, only to enqueue the same deliveries ~100 ms later.
 */
const SEND_OPTIONS = { preferSharedInbox: true, fanout: "skip" } as const;

/**
 * Turns committed outbox entries into Fedify deliveries: per entry, one `sendActivity` per chunk
 * of `chunkInboxes` inboxes, to the feed's followers through their shared inboxes. Fedify's queue (PostgreSQL) then fans out,
 * signs, retries with backoff. An entry is marked done only after Fedify accepted the work, so
 * a crash re-sends it; the activity id is derived from article id + revision, so receivers see
 * the repeat as a duplicate, never as a second post.
 */
export class OutboxRelay {
  readonly #federation: Federation<FederationData>;
  readonly #data: FederationData;
  readonly #leaseMs: number;
  readonly #pollIntervalMs: number;
  readonly #chunkInboxes: number;
  readonly #recordDeliveries: boolean;
  #wake: (() => void) | undefined;
  /** A wake-up that came while the relay was busy: the next sleep returns at once. */
  #woken = false;
  /**
   * Told which feeds changed by themselves when a scheduled article's entry is relayed: its
   * embargo just lifted, and nobody committed anything (WebSub pings, edge purges, pages).
   */
  onRelease: ((slugs: readonly string[]) => void) | undefined;

  constructor(
    federation: Federation<FederationData>,
    data: FederationData,
    options: OutboxRelayOptions = {},
  ) {
    this.#federation = federation;
    this.#data = data;
    this.#leaseMs = options.leaseMs ?? 60_000;
    this.#pollIntervalMs = options.pollIntervalMs ?? 1_000;
    this.#chunkInboxes = Math.max(1, Math.floor(options.chunkInboxes ?? RELAY_CHUNK_INBOXES));
    this.#recordDeliveries = options.recordDeliveries ?? false;
  }

  /** Something was just committed: look now instead of at the next poll. */
  wake(): void {
    this.#woken = true;
    this.#wake?.();
  }

  /** Relays until `signal` aborts; the entry in hand is finished first. */
  async run(signal: AbortSignal): Promise<void> {
    const { logger } = this.#data;
    let failures = 0;
    while (!signal.aborted) {
      try {
        await this.drain(signal);
        if (failures > 0) logger.info("outbox relay: relaying again");
        failures = 0;
      } catch (error) {
        // Backing off (a commit's wake-up still cuts it short: the database is back then).
        failures++;
        const delayMs = outageRetryDelayMs(failures, this.#pollIntervalMs);
        const retry = `retrying in ${delayMs / 1000} s`;
        const reason = unavailableReason(error);
        if (reason) logger.warn(`outbox relay: database unavailable (${reason}); ${retry}`);
        else logger.error(`outbox relay failed; ${retry}`, { error });
        await this.#sleep(signal, delayMs);
        continue;
      }
      if (signal.aborted) break;
      await this.#sleep(signal);
    }
  }

  /** Relays every entry that is due now; returns how many were handled. */
  async drain(signal?: AbortSignal): Promise<number> {
    let handled = 0;
    while (!signal?.aborted) {
      const entry = await this.#data.repos.outbox.claim(this.#data.clock.now(), this.#leaseMs);
      if (!entry) break;
      try {
        await this.#relay(entry);
        await this.#data.repos.outbox.complete(entry.id, this.#data.clock.now());
        if (entry.scheduled && entry.kind !== "update-actor") this.onRelease?.([entry.feedSlug]);
      } catch (error) {
        if (isDatabaseUnavailable(error)) {
          // Not the entry's fault: due again at once. Should the database still be away, this
          // fails too, `run` backs off, and the entry returns when its lease runs out.
          await this.#data.repos.outbox.release(entry.id, this.#data.clock.now());
          throw error;
        }
        const backoffMs = Math.min(3_600_000, 1_000 * 2 ** Math.min(entry.attempts, 12));
        this.#data.logger.warn("outbox entry failed; will retry", { entry, backoffMs, error });
        await this.#data.repos.outbox.release(entry.id, new Date(Date.now() + backoffMs));
      }
      handled++;
    }
    return handled;
  }

  async #relay(entry: ClaimedOutboxEntry): Promise<void> {
    const { repos, publicUrl } = this.#data;
    const feed = await repos.feeds.find(entry.feedSlug);
    if (!feed) return;
    const ctx = this.#federation.createContext(new URL(publicUrl), this.#data);
    const sender = { identifier: feed.slug };
    // One follower per inbox, in one query. Fedify would reduce the feed's followers to their
    // inboxes anyway (one POST per shared inbox); "followers" would have it page through the
    // collection dispatcher, 500 at a time, and parse every actor's URLs. Fedify then names one
    // actor per inbox in each message, so a dead inbox is handled by inbox (federation.ts).
    const followers = async () => toRecipients(await repos.followers.onePerInbox(feed.slug));
    const objectContext = {
      publicUrl,
      actorUri: ctx.getActorUri(feed.slug),
      followersUri: ctx.getFollowersUri(feed.slug),
    };
    if (entry.kind === "move") {
      if (!entry.movedFrom) return;
      // The followers moved with the feed; the old actor, with its own keys, tells them.
      const move = toMove(ctx, entry.movedFrom, feed.slug, entry.id);
      await this.#send(ctx, { identifier: entry.movedFrom }, await followers(), move, SEND_OPTIONS);
      return;
    }
    if (entry.kind === "update-actor") {
      const update = new Update({
        id: actorUpdateUri(publicUrl, feed.slug, feed.updatedAt),
        actor: objectContext.actorUri,
        to: PUBLIC_COLLECTION,
        cc: objectContext.followersUri,
        object: await toActor(ctx, feed),
      });
      await this.#send(ctx, sender, await followers(), update, SEND_OPTIONS);
      return;
    }
    if (entry.quoteAuthorizationId) {
      await this.#acceptQuote(ctx, sender, entry.quoteAuthorizationId, objectContext);
      return;
    }
    if (!entry.articleId || entry.revision === null) return;
    const articleObject = objectUri(publicUrl, feed.slug, entry.articleId).href;
    const activity = entry.liveUpdateId
      ? await this.#liveUpdateActivity(
          entry,
          entry.articleId,
          entry.liveUpdateId,
          feed,
          objectContext,
        )
      : entry.correctionId
        ? await this.#correctionActivity(
            entry,
            entry.articleId,
            entry.correctionId,
            feed,
            objectContext,
          )
        : await this.#articleActivity(entry, entry.articleId, entry.revision, feed, objectContext);
    if (!activity) return;
    if (activity instanceof Delete) {
      await this.#revokeQuotes(ctx, sender, entry, entry.articleId, activity, objectContext);
    }
    // The delivery record follows an article's own activities (its publish, updates, deletion).
    const recorded =
      this.#recordDeliveries && !entry.liveUpdateId && !entry.correctionId && activity.id
        ? {
            activityId: activity.id.href,
            articleId: entry.articleId,
            revision: entry.revision,
            feedSlug: feed.slug,
            kind: entry.kind,
          }
        : undefined;
    await this.#send(
      ctx,
      sender,
      await followers(),
      activity,
      {
        ...SEND_OPTIONS,
        // Per object and inbox server, Create, Update and Delete arrive in the order they were
        // made: an Update never overtakes a Create still being retried for that server. A
        // correction's reply keeps the article's order: it follows the Update it explains.
        orderingKey: entry.correctionId
          ? articleObject
          : (activity.objectId?.href ?? articleObject),
      },
      recorded,
    );
  }

  /**
   * One `sendActivity` per chunk of `recipients` (one follower per inbox, so the chunks' inboxes
   * are disjoint and every inbox gets one message), one after another, the same activity (and
   * id) in each. It resolves once the queue has accepted every chunk; should one fail, or the
   * process die in between, the entry is relayed again from the first chunk, and the inboxes
   * that already have it see the same id twice, as when a single call was interrupted.
   */
  async #send(
    ctx: Context<FederationData>,
    sender: { identifier: string },
    recipients: readonly Recipient[],
    activity: Activity,
    options: SendActivityOptions,
    recorded?: Omit<QueuedActivity, "inboxesByHost">,
  ): Promise<void> {
    for (let start = 0; start < recipients.length; start += this.#chunkInboxes) {
      const chunk = recipients.slice(start, start + this.#chunkInboxes);
      // Before the messages exist, so no outcome can arrive ahead of its row: one INSERT a chunk.
      if (recorded) await this.#recordQueued({ ...recorded, inboxesByHost: inboxesByHost(chunk) });
      await ctx.sendActivity(sender, chunk, activity, options);
    }
  }

  /**
   * The chunk's pending rows of the delivery record. The record describes deliveries, it never
   * holds them up: a failed write is logged and the chunk sent (an unreachable database still
   * fails the entry, as its enqueue would).
   */
  async #recordQueued(queued: QueuedActivity): Promise<void> {
    try {
      await this.#data.repos.deliveryRecord.recordQueued(queued, this.#data.clock.now());
    } catch (error) {
      if (isDatabaseUnavailable(error)) throw error;
      this.#data.logger.warn("delivery record: could not record queued deliveries", {
        activityId: queued.activityId,
        error,
      });
    }
  }

  /** The Accept of an approved quote, to the quoting actor; nothing once it was revoked. */
  async #acceptQuote(
    ctx: Context<FederationData>,
    sender: { identifier: string },
    authorizationId: string,
    objectContext: ObjectContext,
  ): Promise<void> {
    const quote = await this.#data.repos.quotes.find(authorizationId);
    if (!quote || quote.revokedAt) return;
    const accept = await toQuoteAccept(quote, objectContext);
    await ctx.sendActivity(sender, quoteRecipient(quote), accept);
  }

  /**
   * Before the Delete of a post goes to the followers: the quotes of it we approved are revoked
   * and each quoting actor is sent the Delete of its authorization (FEP-044f). The revocation
   * is the relaying of an entry committed with the deletion, so it happens once it is sure.
   */
  async #revokeQuotes(
    ctx: Context<FederationData>,
    sender: { identifier: string },
    entry: ClaimedOutboxEntry,
    articleId: string,
    deletion: Delete,
    objectContext: ObjectContext,
  ): Promise<void> {
    const { quotes } = this.#data.repos;
    const now = this.#data.clock.now();
    const revoked = entry.liveUpdateId
      ? deletion.objectId
        ? await quotes.revokeOfTarget(deletion.objectId.href, now)
        : []
      : await quotes.revokeInFeed(articleId, entry.feedSlug, now);
    for (const quote of revoked) {
      const del = toQuoteAuthorizationDelete(quote, objectContext);
      await ctx.sendActivity(sender, quoteRecipient(quote), del);
    }
    if (revoked.length > 0) this.#data.onInteraction?.(articleId);
  }

  /** The article exactly as it stood at the entry's revision; nothing once it was deleted. */
  async #articleActivity(
    entry: ClaimedOutboxEntry,
    articleId: string,
    revision: number,
    feed: Feed,
    objectContext: ObjectContext,
  ): Promise<Create | Update | Delete | undefined> {
    const { articles } = this.#data.repos;
    const article = await articles.findRevision(articleId, revision);
    if (!article) return undefined;
    if (entry.kind !== "delete") {
      // Deleted before its scheduled time came: there is nothing to announce any more.
      const current = await articles.findById(articleId);
      if (!current || current.deletedAt) return undefined;
    }
    return entry.kind === "create"
      ? toCreate(article, feed, objectContext)
      : entry.kind === "update"
        ? toUpdate(article, feed, objectContext)
        : toDelete(article, feed, objectContext);
  }

  /**
   * A live update as it stands now (updates keep no revisions; the activity id follows the
   * stored revision, so two entries that would send the same thing send the same id). A Create
   * or Update waits for the update and its article to be public (a re-scheduled update has a
   * later entry) and is dropped once either is deleted or the article left the feed.
   */
  async #liveUpdateActivity(
    entry: ClaimedOutboxEntry,
    articleId: string,
    updateId: string,
    feed: Feed,
    objectContext: ObjectContext,
  ): Promise<Create | Update | Delete | undefined> {
    const { articles, liveUpdates } = this.#data.repos;
    const [article, update] = await Promise.all([
      articles.findById(articleId),
      liveUpdates.findById(articleId, updateId),
    ]);
    if (!article || !update || entry.kind === "update-actor" || entry.kind === "move") {
      return undefined;
    }
    if (entry.kind !== "delete") {
      const now = this.#data.clock.now();
      if (!visibleAt(article, update, now) || !article.feeds.includes(feed.slug)) return undefined;
    }
    // Deleted with its article (or its article's leaving the feed): the update's own row stays.
    const deletedAt = update.deletedAt ?? article.deletedAt ?? this.#data.clock.now();
    const shown = entry.kind === "delete" ? { ...update, deletedAt } : update;
    return toLiveUpdateActivity(entry.kind, shown, article, feed, objectContext);
  }

  /**
   * A correction's reply in the thread: its Create once the article is public and still in the
   * feed (a correction never changes, so it is sent as it stands), its Delete when the article
   * was deleted or left the feed.
   */
  async #correctionActivity(
    entry: ClaimedOutboxEntry,
    articleId: string,
    correctionId: string,
    feed: Feed,
    objectContext: ObjectContext,
  ): Promise<Create | Delete | undefined> {
    const article = await this.#data.repos.articles.findById(articleId);
    const correction = article?.corrections?.find((c) => c.id === correctionId);
    if (!article || !correction) return undefined;
    if (entry.kind === "delete") {
      return toCorrectionActivity("delete", correction, article, feed, objectContext);
    }
    const now = this.#data.clock.now();
    const shown =
      entry.kind === "create" &&
      isPublic(article, now) &&
      article.feeds.includes(feed.slug) &&
      correctionInThread(article, correction);
    return shown
      ? toCorrectionActivity("create", correction, article, feed, objectContext)
      : undefined;
  }

  /** Until the next entry is due (at most a poll interval), or `backoffMs`; a wake-up ends it. */
  async #sleep(signal: AbortSignal, backoffMs?: number): Promise<void> {
    if (this.#woken) {
      this.#woken = false;
      return;
    }
    let ms = backoffMs;
    if (ms === undefined) {
      const next = await this.#data.repos.outbox.nextDue().catch(() => null);
      const untilDue = next
        ? next.getTime() - this.#data.clock.now().getTime()
        : Number.POSITIVE_INFINITY;
      ms = Math.max(0, Math.min(this.#pollIntervalMs, untilDue));
    }
    await new Promise<void>((resolve) => {
      const done = () => {
        this.#woken = false;
        clearTimeout(timer);
        signal.removeEventListener("abort", done);
        this.#wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#wake = done;
      signal.addEventListener("abort", done, { once: true });
    });
  }
}

/** The inboxes Fedify posts to (`preferSharedInbox`: the shared one if any), counted per host. */
function inboxesByHost(recipients: readonly Recipient[]): Map<string, number> {
  const hosts = new Map<string, number>();
  for (const recipient of recipients) {
    const inbox = recipient.endpoints?.sharedInbox ?? recipient.inboxId;
    if (inbox) hosts.set(inbox.host, (hosts.get(inbox.host) ?? 0) + 1);
  }
  return hosts;
}

/** The quoting actor, by the inbox stored with its quote (no fetch of its actor document). */
function quoteRecipient(quote: QuoteAuthorization): Recipient {
  return { id: new URL(quote.quotingActor), inboxId: new URL(quote.quotingInbox), endpoints: null };
}
