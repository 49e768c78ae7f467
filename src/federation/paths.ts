/**
 * Where the fediverse finds things. Everything ActivityPub lives under /ap so that Fedify only
 * sees the requests that are its own (feed documents never pass through it).
 */
export const PATHS = {
  actor: "/ap/feeds/{identifier}",
  inbox: "/ap/feeds/{identifier}/inbox",
  sharedInbox: "/ap/inbox",
  outbox: "/ap/feeds/{identifier}/outbox",
  followers: "/ap/feeds/{identifier}/followers",
  following: "/ap/feeds/{identifier}/following",
  featured: "/ap/feeds/{identifier}/featured",
  nodeInfo: "/nodeinfo/2.1",
} as const;

/** An article as seen by one feed's followers (each feed posts its own object). */
export function objectUri(publicUrl: string, feedSlug: string, articleId: string): URL {
  return new URL(`/ap/feeds/${feedSlug}/articles/${articleId}`, publicUrl);
}

/**
 * The thread of an article as one feed posts it (FEP-7888 `context`): the article's post and
 * its live updates, in order. Every object of the thread, and each activity that carries one,
 * names it.
 */
export function threadContextUri(publicUrl: string, feedSlug: string, articleId: string): URL {
  return new URL(`${objectUri(publicUrl, feedSlug, articleId).pathname}/context`, publicUrl);
}

/** The article post's `replies`: its live updates and the readers' replies. */
export function repliesUri(publicUrl: string, feedSlug: string, articleId: string): URL {
  return new URL(`${objectUri(publicUrl, feedSlug, articleId).pathname}/replies`, publicUrl);
}

/** A live update as one feed posts it: a Note replying to that feed's post of the article. */
export function liveUpdateObjectUri(
  publicUrl: string,
  feedSlug: string,
  articleId: string,
  updateId: string,
): URL {
  return new URL(
    `${objectUri(publicUrl, feedSlug, articleId).pathname}/updates/${updateId}`,
    publicUrl,
  );
}

/** As for articles (below): from update id + revision, so a re-send is a duplicate. */
export function liveUpdateActivityUri(
  publicUrl: string,
  feedSlug: string,
  articleId: string,
  updateId: string,
  revision: number,
  kind: "create" | "update" | "delete",
): URL {
  const object = liveUpdateObjectUri(publicUrl, feedSlug, articleId, updateId);
  return new URL(`${object.pathname}/revisions/${revision}/${kind}`, publicUrl);
}

/**
 * A correction's reply in the article's thread (`Correction: …`), as one feed posts it. Named by
 * the correction's own id: a correction never changes, so its Create (and the Delete that
 * follows the article's) is sent once, and a re-send carries the same id.
 */
export function correctionObjectUri(
  publicUrl: string,
  feedSlug: string,
  articleId: string,
  correctionId: string,
): URL {
  return new URL(
    `${objectUri(publicUrl, feedSlug, articleId).pathname}/corrections/${correctionId}`,
    publicUrl,
  );
}

export function correctionActivityUri(
  publicUrl: string,
  feedSlug: string,
  articleId: string,
  correctionId: string,
  kind: "create" | "delete",
): URL {
  const object = correctionObjectUri(publicUrl, feedSlug, articleId, correctionId);
  return new URL(`${object.pathname}/${kind}`, publicUrl);
}

/**
 * Activity ids are derived from article id + revision (+ feed): a delivery repeated after a
 * crash carries the same id, and receivers drop it as a duplicate instead of posting twice.
 */
export function activityUri(
  publicUrl: string,
  feedSlug: string,
  articleId: string,
  revision: number,
  kind: "create" | "update" | "delete",
): URL {
  return new URL(
    `/ap/feeds/${feedSlug}/articles/${articleId}/revisions/${revision}/${kind}`,
    publicUrl,
  );
}

/**
 * A quote of the article's post (or of one of its updates) that this feed approved: the
 * FEP-044f `QuoteAuthorization` that servers fetch to check the quote. From its stored id, so
 * a re-sent Accept names the same authorization.
 */
export function quoteAuthorizationUri(
  publicUrl: string,
  feedSlug: string,
  articleId: string,
  authorizationId: string,
): URL {
  return new URL(
    `${objectUri(publicUrl, feedSlug, articleId).pathname}/quotes/${authorizationId}`,
    publicUrl,
  );
}

export function actorUpdateUri(publicUrl: string, feedSlug: string, version: Date): URL {
  return new URL(`/ap/feeds/${feedSlug}/profile-updates/${version.getTime()}`, publicUrl);
}

/** Parses an object URI of ours back into feed and article, or undefined. */
export function parseObjectUri(
  publicUrl: string,
  uri: URL | string,
): { feedSlug: string; articleId: string } | undefined {
  const parsed = parseThreadObjectUri(publicUrl, uri);
  return parsed && parsed.updateId === null && parsed.correctionId === null
    ? { feedSlug: parsed.feedSlug, articleId: parsed.articleId }
    : undefined;
}

const THREAD_OBJECT_PATH =
  /^\/ap\/feeds\/([a-z0-9-]+)\/articles\/([0-9a-f-]{36})(?:\/(updates|corrections)\/([0-9a-f-]{36}))?$/;

/**
 * Parses a URI of an object in one of our threads: an article's post (`updateId` and
 * `correctionId` null), one of its live updates or one of its corrections' replies. Undefined
 * for anything else.
 */
export function parseThreadObjectUri(
  publicUrl: string,
  uri: URL | string,
):
  | { feedSlug: string; articleId: string; updateId: string | null; correctionId: string | null }
  | undefined {
  const url = typeof uri === "string" ? URL.parse(uri) : uri;
  if (!url || url.origin !== new URL(publicUrl).origin) return undefined;
  const match = THREAD_OBJECT_PATH.exec(url.pathname);
  if (!match?.[1] || !match[2]) return undefined;
  const [, feedSlug, articleId, kind, postId = null] = match;
  return {
    feedSlug,
    articleId,
    updateId: kind === "updates" ? postId : null,
    correctionId: kind === "corrections" ? postId : null,
  };
}

/**
 * The Move of a feed's rename, sent by the old slug's actor. From the outbox entry's id, so a
 * re-send is the same Move (and renaming a -> b -> a -> b again is a new one).
 */
export function moveUri(publicUrl: string, fromSlug: string, entryId: string): URL {
  return new URL(`/ap/feeds/${fromSlug}/moves/${entryId}`, publicUrl);
}
