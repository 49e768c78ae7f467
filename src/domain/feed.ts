/** A section runs indefinitely; a story feed follows one developing story and is closed when it ends. */
export type FeedKind = "section" | "story";
export type FeedStatus = "open" | "closed";
/** How the feed's fediverse account presents itself; `Service` marks it as a bot. */
export type ActorType = "Organization" | "Service" | "Group" | "Application" | "Person";
export const ACTOR_TYPES: readonly ActorType[] = [
  "Organization",
  "Service",
  "Group",
  "Application",
  "Person",
];
/** What followers see: a short `Note` linking to the story, or the full `Article`. */
export type ObjectType = "Note" | "Article";
export const OBJECT_TYPES: readonly ObjectType[] = ["Note", "Article"];
/** Who may quote the feed's posts (FEP-044f): approved at once, never asked of an editor. */
export type QuotePolicy = "everyone" | "followers" | "nobody";
export const QUOTE_POLICIES: readonly QuotePolicy[] = ["everyone", "followers", "nobody"];

/** A feed: one news section or developing story, published as RSS, Atom, JSON Feed and a fediverse account. */
export interface Feed {
  /** URL-safe name; also the fediverse username (`@{slug}@{host}`). */
  readonly slug: string;
  readonly kind: FeedKind;
  readonly title: string;
  readonly description: string;
  /** BCP 47 language tag of the feed as a whole. */
  readonly language: string;
  readonly status: FeedStatus;
  /** Absolute URL of a square-ish icon (fediverse avatar, feed logo); optional. */
  readonly iconUrl: string | null;
  /** Absolute URL of a wide header image; optional. */
  readonly imageUrl: string | null;
  readonly actorType: ActorType;
  readonly objectType: ObjectType;
  readonly quotePolicy: QuotePolicy;
  /** When the story ended (status `closed`); null while open. */
  readonly closedAt: Date | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export interface FeedDraft {
  readonly slug: string;
  readonly kind: FeedKind;
  readonly title: string;
  readonly description: string;
  readonly language: string;
  readonly status: FeedStatus;
  readonly iconUrl: string | null;
  readonly imageUrl: string | null;
  readonly actorType: ActorType;
  readonly objectType: ObjectType;
  readonly quotePolicy: QuotePolicy;
}

export type FeedChanges = Partial<Omit<FeedDraft, "slug">>;

/** An edit of a feed: its fields, and perhaps a new slug (a rename, see FeedService.update). */
export type FeedEdit = FeedChanges & { readonly slug?: string | undefined };

/**
 * A feed's old slug after a rename: its actor answers with `movedTo`, its URLs redirect to the
 * feed's current ones, and no other feed may take it (docs/adr/0006-feed-renames.md).
 */
export interface FeedAlias {
  readonly slug: string;
  /** The feed's current slug. */
  readonly feedSlug: string;
  readonly renamedAt: Date;
}

/** Slugs double as fediverse usernames and URL segments, so keep them plain. */
export const FEED_SLUG_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/;

/** First-level paths the service uses itself: a feed page at `/{slug}` must not take them. */
export const RESERVED_SLUGS: readonly string[] = [
  "admin",
  "ap",
  "articles",
  "assets",
  "desk",
  "feeds",
  "healthz",
  "inbox",
  "nodeinfo",
  "problems",
  "tags",
  "users",
];

const ENDED_DATE = new Intl.DateTimeFormat("en-GB", { dateStyle: "long", timeZone: "UTC" });

/**
 * What the feed's page and fediverse profile say once a story is closed: "This story ended on
 * 7 December 2026." (UTC, so every server says the same); null while it runs.
 */
export function storyEndedNote(feed: Pick<Feed, "status" | "closedAt">): string | null {
  if (feed.status !== "closed") return null;
  return feed.closedAt
    ? `This story ended on ${ENDED_DATE.format(feed.closedAt)}.`
    : "This story has ended.";
}

/** Whether a PATCH would change anything: closing a closed feed again writes nothing. */
export function changesFeed(feed: Feed, changes: FeedChanges): boolean {
  return (Object.keys(changes) as (keyof FeedChanges)[]).some(
    (key) => changes[key] !== undefined && changes[key] !== feed[key],
  );
}
