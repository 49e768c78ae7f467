/** An author credited on an article. */
export interface Author {
  readonly name: string;
  readonly url?: string | undefined;
  /** `@user@host`, shown as `fediverse:creator` and used for mentions. */
  readonly fediverseHandle?: string | undefined;
}

/** The lead image of an article. `alt` is required: every image needs a text alternative. */
export interface LeadImage {
  readonly url: string;
  readonly alt: string;
  readonly caption?: string | undefined;
  readonly credit?: string | undefined;
}

/**
 * A public note on a revision, saying what was wrong and what was put right. A revision without
 * one is a silent fix. It has its own id and time so that everything that tells readers about it
 * (the page, the feeds, the federated Update, a reply in the fediverse thread) names the same one.
 */
export interface Correction {
  readonly id: string;
  /** The article revision that carried the note. */
  readonly revision: number;
  /** Plain text. */
  readonly note: string;
  readonly correctedAt: Date;
}

/** One story as stored: sanitised, with its feeds and revision bookkeeping. */
export interface Article {
  readonly id: string;
  readonly externalId: string | null;
  readonly headline: string;
  readonly standfirst: string | null;
  /** Plain text shown before the story and its image (war, violence…); null for none. */
  readonly contentWarning?: string | null | undefined;
  /** Sanitised HTML. Never store or render unsanitised markup. */
  readonly bodyHtml: string;
  readonly authors: readonly Author[];
  readonly image: LeadImage | null;
  readonly tags: readonly string[];
  /** Slugs of the feeds the article appears in. */
  readonly feeds: readonly string[];
  /** BCP 47 language tag, e.g. `en` or `en-GB`. */
  readonly language: string;
  readonly canonicalUrl: string | null;
  /** Pinned stories are featured on the feeds' fediverse profiles. */
  readonly pinned: boolean;
  /** A developing story: live updates are coming (shown with a LIVE label). */
  readonly live: boolean;
  /** When live coverage ended (LiveBlogPosting `coverageEndTime`); null while live or never live. */
  readonly liveEndedAt?: Date | null | undefined;
  /** When the story goes (or went) public; a future time schedules it. */
  readonly publishedAt: Date;
  /** Last editorial change; equals `publishedAt` until the first revision. */
  readonly updatedAt: Date;
  readonly createdAt: Date;
  /** 1 on creation, +1 on each PATCH and on deletion. */
  readonly revision: number;
  /** Set when the article was deleted: it is then a tombstone (410 Gone). */
  readonly deletedAt: Date | null;
  /** Public corrections so far, oldest first; absent or empty when there were none. */
  readonly corrections?: readonly Correction[] | undefined;
}

/** What an editor supplies to create an article (already validated and sanitised). */
export interface ArticleDraft {
  readonly externalId: string | null;
  readonly headline: string;
  readonly standfirst: string | null;
  readonly contentWarning?: string | null | undefined;
  readonly bodyHtml: string;
  readonly authors: readonly Author[];
  readonly image: LeadImage | null;
  readonly tags: readonly string[];
  readonly feeds: readonly string[];
  /** Null: take the language of the article's first feed. */
  readonly language: string | null;
  readonly canonicalUrl: string | null;
  readonly pinned: boolean;
  readonly publishedAt: Date;
}

/** The fields a PATCH may change; absent fields stay as they are. */
export type ArticleChanges = Partial<Omit<ArticleDraft, "externalId" | "language">> & {
  readonly language?: string | undefined;
  readonly live?: boolean | undefined;
  /** A public note on this revision (plain text); absent: a silent fix. */
  readonly correction?: string | undefined;
};

/** An article's corrections, newest first: the most recent is what readers need first. */
export function newestCorrections(article: Pick<Article, "corrections">): Correction[] {
  return [...(article.corrections ?? [])].sort((a, b) => b.revision - a.revision);
}

/** A short timestamped post on a developing story, threaded under its article. */
export interface LiveUpdate {
  readonly id: string;
  readonly articleId: string;
  readonly externalId: string | null;
  readonly headline: string | null;
  /** Sanitised HTML. */
  readonly bodyHtml: string;
  readonly authors: readonly Author[];
  readonly image: LeadImage | null;
  readonly publishedAt: Date;
  readonly updatedAt: Date;
  readonly createdAt: Date;
  readonly revision: number;
  readonly deletedAt: Date | null;
}

/** What an editor supplies to push an update (validated and sanitised). */
export interface LiveUpdateDraft {
  readonly externalId: string | null;
  readonly headline: string | null;
  readonly bodyHtml: string;
  readonly authors: readonly Author[];
  readonly image: LeadImage | null;
  readonly publishedAt: Date;
}

export type LiveUpdateChanges = Partial<Omit<LiveUpdateDraft, "externalId">>;

/** An article is visible to readers once published and not deleted. */
export function isPublic(article: Pick<Article, "publishedAt" | "deletedAt">, now: Date): boolean {
  return article.deletedAt === null && article.publishedAt.getTime() <= now.getTime();
}

/**
 * The article with `live` as asked: ending coverage records when (kept if it had already
 * ended), going live again clears it.
 */
export function withLive(article: Article, live: boolean, now: Date): Article {
  if (live) return { ...article, live, liveEndedAt: null };
  const liveEndedAt = article.live ? now : (article.liveEndedAt ?? null);
  return { ...article, live, liveEndedAt };
}

/**
 * Deleted while still embargoed: readers never saw it, so its URL answers 404 (no tombstone)
 * and followers are told nothing.
 */
export function deletedBeforeRelease(article: Pick<Article, "publishedAt" | "deletedAt">): boolean {
  return article.deletedAt !== null && article.publishedAt.getTime() > article.deletedAt.getTime();
}
