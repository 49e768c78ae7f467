import type { ColumnType, Generated, Insertable, Selectable, Updateable } from "kysely";
import type { Author, LeadImage } from "../domain/article.ts";
import type { FedifyDatabase } from "../fedify-kysely/index.ts";

/**
 * Table types in camelCase; the CamelCasePlugin maps them to snake_case SQL.
 * JSON columns are written as JSON text (pg would otherwise turn JS arrays into PostgreSQL arrays).
 */
type Json<T> = ColumnType<T, string, string>;
type Timestamp = ColumnType<Date, Date, Date>;
type CreatedAt = ColumnType<Date, Date, never>;

export interface FeedsTable {
  slug: string;
  kind: "section" | "story";
  title: string;
  description: string;
  language: string;
  status: "open" | "closed";
  iconUrl: string | null;
  imageUrl: string | null;
  actorType: Generated<"Organization" | "Service" | "Group" | "Application" | "Person">;
  objectType: Generated<"Note" | "Article">;
  quotePolicy: Generated<"everyone" | "followers" | "nobody">;
  /** Hash of the `feeds/*.json` definition last applied; null for feeds created through the API. */
  definitionHash: string | null;
  /** When the story was closed (status `closed`); null while open. */
  closedAt: Generated<Date | null>;
  createdAt: CreatedAt;
  updatedAt: Timestamp;
}

export interface ArticlesTable {
  id: string;
  externalId: string | null;
  headline: string;
  standfirst: string | null;
  contentWarning: Generated<string | null>;
  bodyHtml: string;
  authors: Json<Author[]>;
  image: Json<LeadImage | null> | null;
  tags: Json<string[]>;
  language: string;
  canonicalUrl: string | null;
  pinned: Generated<boolean>;
  live: Generated<boolean>;
  /** When live coverage ended (the feed closed, or `live` set false); null while live or never. */
  liveEndedAt: Generated<Date | null>;
  publishedAt: Timestamp;
  updatedAt: Timestamp;
  createdAt: CreatedAt;
  revision: number;
  deletedAt: Timestamp | null;
}

export interface LiveUpdatesTable {
  id: string;
  articleId: string;
  externalId: string | null;
  headline: string | null;
  bodyHtml: string;
  authors: Json<Author[]>;
  image: Json<LeadImage | null> | null;
  publishedAt: Timestamp;
  updatedAt: Timestamp;
  createdAt: CreatedAt;
  revision: number;
  deletedAt: Timestamp | null;
}

export interface ArticleFeedsTable {
  articleId: string;
  feedSlug: string;
  /** The article's feeds keep the order the editor gave (the first is its home feed). */
  position: number;
  /** Copied from the article so a feed's newest items come from one index scan. */
  publishedAt: Timestamp;
}

export interface ArticleRevisionsTable {
  articleId: string;
  revision: number;
  /** The article as it stood at this revision (the admin API's JSON shape). */
  snapshot: Json<unknown>;
  createdAt: CreatedAt;
}

export interface ArticleCorrectionsTable {
  id: string;
  articleId: string;
  /** The revision that carried the note (one correction per revision at most). */
  revision: number;
  /** Plain text. */
  note: string;
  correctedAt: Timestamp;
}

export interface FeedKeysTable {
  feedSlug: string;
  algorithm: "rsa" | "ed25519";
  publicJwk: Json<JsonWebKey>;
  privateJwk: Json<JsonWebKey>;
  createdAt: CreatedAt;
}

/** A feed's old slug after a rename, pointing at the feed it became (migrations/0018). */
export interface FeedAliasesTable {
  slug: string;
  /** The feed's current slug (follows later renames). */
  feedSlug: string;
  renamedAt: Timestamp;
  /** The old actor's key pairs, kept to sign its Move and to verify its documents. */
  keyPairs: Json<{ algorithm: "rsa" | "ed25519"; publicJwk: JsonWebKey; privateJwk: JsonWebKey }[]>;
}

export interface FollowersTable {
  feedSlug: string;
  actorId: string;
  inboxUrl: string;
  sharedInboxUrl: string | null;
  followId: string | null;
  createdAt: CreatedAt;
}

export interface ArticleInteractionsTable {
  articleId: string;
  kind: "like" | "announce";
  actorId: string;
  activityId: string;
  createdAt: CreatedAt;
}

export interface ArticleRepliesTable {
  id: string;
  articleId: string;
  actorId: string;
  url: string | null;
  contentHtml: string;
  publishedAt: Timestamp;
  createdAt: CreatedAt;
  /** Hidden by an editor (`PATCH /admin/replies/{id}`): gone from pages and counts. */
  hiddenAt: Generated<Date | null>;
}

export interface FederationOutboxTable {
  id: Generated<string>;
  kind: "create" | "update" | "delete" | "update-actor" | "move";
  feedSlug: string;
  /** Kind `move`: the feed's old slug, whose actor sends the Move (migrations/0018). */
  movedFrom: Generated<string | null>;
  articleId: string | null;
  /** Set when the entry announces this live update of the article (revision is the update's). */
  liveUpdateId: string | null;
  /** Set when the entry announces this correction's reply in the article's thread. */
  correctionId: string | null;
  revision: number | null;
  /** Set when the entry answers a quote request (create: Accept) or revokes it (delete). */
  quoteAuthorizationId: Generated<string | null>;
  availableAt: Timestamp;
  lockedUntil: Timestamp | null;
  attempts: Generated<number>;
  processedAt: Timestamp | null;
  createdAt: CreatedAt;
}

/** Per activity and remote host: what became of its deliveries (migrations/0019). */
export interface DeliveryRecordsTable {
  activityId: string;
  host: string;
  articleId: string;
  revision: number;
  feedSlug: string;
  kind: "create" | "update" | "delete";
  inboxes: number;
  delivered: Generated<number>;
  givenUp: Generated<number>;
  attempts: Generated<number>;
  lastStatus: string | null;
  lastAttemptAt: Timestamp | null;
  lastSuccessAt: Timestamp | null;
  lastFailureAt: Timestamp | null;
  createdAt: CreatedAt;
}

/** A quote of one of our posts that we approved (FEP-044f), until revoked (migrations/0017). */
export interface QuoteAuthorizationsTable {
  id: string;
  articleId: string;
  feedSlug: string;
  /** Our post they quote: the article's post in that feed, or one of its live updates. */
  targetUri: string;
  /** Their post that quotes it (the QuoteRequest's `instrument`). */
  quotingObject: string;
  quotingActor: string;
  /** Where the Accept (and a revocation's Delete) is delivered. */
  quotingInbox: string;
  /** The QuoteRequest's id, which the Accept names. */
  requestId: string;
  createdAt: CreatedAt;
  revokedAt: Timestamp | null;
}

export interface AdminTokensTable {
  id: string;
  name: string;
  scope: "publish" | "admin";
  /** SHA-256 of the token, hex; the token itself is never stored. */
  tokenHash: string;
  createdAt: CreatedAt;
  revokedAt: Timestamp | null;
}

export interface AdminAuditTable {
  id: Generated<string>;
  at: CreatedAt;
  tokenName: string;
  action: string;
  target: string;
  status: number;
}

export interface BlocksTable {
  id: string;
  kind: "domain" | "actor";
  target: string;
  severity: "suspend" | "silence";
  rejectReports: Generated<boolean>;
  comment: string | null;
  createdAt: CreatedAt;
}

export interface ReportsTable {
  id: string;
  activityId: string;
  reporterId: string;
  objectIds: Json<string[]>;
  comment: string;
  receivedAt: CreatedAt;
  resolvedAt: Timestamp | null;
  resolvedBy: string | null;
  resolutionNote: string | null;
}

export interface InstanceKeysTable {
  algorithm: "rsa" | "ed25519";
  publicJwk: Json<JsonWebKey>;
  privateJwk: Json<JsonWebKey>;
  createdAt: CreatedAt;
}

/** The app's tables, and Fedify's (src/fedify-kysely/schema.ts) in the same database. */
export interface WebSubSubscriptionsTable {
  id: Generated<string>;
  feedSlug: string;
  format: string;
  topic: string;
  callback: string;
  callbackHost: string;
  secret: string | null;
  leaseSeconds: number;
  expiresAt: Date;
  verifiedAt: Date;
  lastDeliveryAt: Date | null;
  lastDeliveryResult: string | null;
  /** The feed version this subscriber should have (migrations/0014). */
  targetVersion: ColumnType<string, never, string | number>;
  /** The feed version and document ETag it last accepted. */
  deliveredVersion: ColumnType<string, never, string | number>;
  deliveredEtag: ColumnType<string | null, never, string | null>;
  /** A delivery job for it is in the queue (or being retried). */
  jobQueued: ColumnType<boolean, never, boolean>;
  failedAttempts: ColumnType<number, never, number>;
}

/** A counter per feed, raised per distributed change (migrations/0014). */
export interface WebSubFeedVersionsTable {
  feedSlug: string;
  version: ColumnType<string, string | number, string | number>;
}

export interface Database extends FedifyDatabase {
  feeds: FeedsTable;
  articles: ArticlesTable;
  articleFeeds: ArticleFeedsTable;
  articleRevisions: ArticleRevisionsTable;
  articleCorrections: ArticleCorrectionsTable;
  liveUpdates: LiveUpdatesTable;
  feedKeys: FeedKeysTable;
  feedAliases: FeedAliasesTable;
  followers: FollowersTable;
  articleInteractions: ArticleInteractionsTable;
  articleReplies: ArticleRepliesTable;
  federationOutbox: FederationOutboxTable;
  deliveryRecords: DeliveryRecordsTable;
  quoteAuthorizations: QuoteAuthorizationsTable;
  adminTokens: AdminTokensTable;
  adminAudit: AdminAuditTable;
  blocks: BlocksTable;
  reports: ReportsTable;
  instanceKeys: InstanceKeysTable;
  websubSubscriptions: WebSubSubscriptionsTable;
  websubFeedVersions: WebSubFeedVersionsTable;
}

export type FeedRow = Selectable<FeedsTable>;
export type NewFeedRow = Insertable<FeedsTable>;
export type FeedUpdate = Updateable<FeedsTable>;
export type ArticleRow = Selectable<ArticlesTable>;
export type NewArticleRow = Insertable<ArticlesTable>;
export type LiveUpdateRow = Selectable<LiveUpdatesTable>;
