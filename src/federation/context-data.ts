import type { KvStore } from "@fedify/fedify";
import type { BlockList } from "../domain/block-list.ts";
import type {
  ArticleRepository,
  Clock,
  FeedRepository,
  LiveUpdateRepository,
} from "../domain/ports.ts";
import type { Logger } from "../logger.ts";
import type { Metrics } from "../observability/metrics.ts";
import type { DeliveryRecordStore } from "../storage/delivery-record-store.ts";
import type { OutboxRelayStore } from "../storage/federation-outbox.ts";
import type { FeedKeyRepository } from "../storage/feed-key-repository.ts";
import type { FollowerRepository } from "../storage/follower-repository.ts";
import type { InteractionRepository } from "../storage/interaction-repository.ts";
import type { QuoteAuthorizationRepository } from "../storage/quote-authorization-repository.ts";
import type { ReportRepository } from "../storage/report-repository.ts";
import type { ThreadView } from "../storage/views/thread.view.ts";
import type { AddressGuard } from "./address-guard.ts";
import type { FeedKeyStore } from "./keys.ts";

/** The stores federation reads and writes, built once by the runtime (src/storage/stores.ts). */
export interface FederationRepositories {
  readonly articles: ArticleRepository;
  readonly liveUpdates: LiveUpdateRepository;
  readonly feeds: FeedRepository;
  readonly followers: FollowerRepository;
  readonly interactions: InteractionRepository;
  /** Quotes of our posts we approved (FEP-044f) and their revocation. */
  readonly quotes: QuoteAuthorizationRepository;
  /** An article's thread: the `context` and `replies` collections (thread-collections.ts). */
  readonly thread: ThreadView;
  readonly feedKeys: FeedKeyRepository;
  readonly outbox: OutboxRelayStore;
  /** What became of each article activity at each remote host (delivery-recorder.ts). */
  readonly deliveryRecord: DeliveryRecordStore;
  readonly reports: ReportRepository;
  /** The instance actor's keys (instance-actor.ts). */
  readonly instanceKeys: FeedKeyRepository;
}

/** What every dispatcher and listener gets from the runtime that built the federation. */
export interface FederationData {
  readonly repos: FederationRepositories;
  readonly publicUrl: string;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly keys: FeedKeyStore;
  /** The instance actor's key pairs, kept like a feed's. */
  readonly instanceKeys: FeedKeyStore;
  /** Fedify's key–value store: remote keys are cached there (key-cache.ts). */
  readonly kv: KvStore;
  /** AUTHORIZED_FETCH: objects and collections only for signed GETs (fetch-authorization.ts). */
  readonly authorizedFetch: boolean;
  /** Whether a URL is a public destination (followers' inboxes). */
  readonly addressGuard: AddressGuard;
  /** Blocked servers and actors, in memory (src/domain/block-list.ts). */
  readonly blocks: BlockList;
  /** An inbox listener committed outbox work (a quote's Accept): relay it now, not at the poll. */
  readonly onOutboxWork?: () => void;
  /**
   * Called after an inbox activity changed what readers see (counts, replies). Set by
   * createDeps once the article pages exist (they are dropped), as the relay's `onRelease`.
   */
  onInteraction?: ((articleId: string) => void) | undefined;
  /** Counts inbox activities by type; unset when metrics are off. */
  readonly metrics?: Metrics;
}
