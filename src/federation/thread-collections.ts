import { OrderedCollection, OrderedCollectionPage } from "@fedify/vocab";
import type { Article } from "../domain/article.ts";
import type { Feed } from "../domain/feed.ts";
import type { SliceRange, ThreadEntry, ThreadView } from "../storage/views/thread.view.ts";
import type { ObjectContext } from "./objects.ts";
import {
  correctionObjectUri,
  liveUpdateObjectUri,
  objectUri,
  repliesUri,
  threadContextUri,
} from "./paths.ts";

/** Items per page of a thread's collections; the collection itself lists none. */
export const THREAD_PAGE_SIZE = 50;

/** Which collection to build: an article in one feed, as of `now`; `page` null: the collection. */
export interface ThreadCollectionRequest {
  readonly thread: ThreadView;
  readonly article: Article;
  readonly feed: Feed;
  readonly ctx: ObjectContext;
  readonly now: Date;
  readonly page: number | null;
}

/**
 * FEP-7888 `context`: the thread as one feed posts it, the article's post first, then its
 * public live updates and its corrections' replies, oldest first. `page` null: the collection (size, first and last page);
 * else that page (1-based).
 */
export async function toContextCollection(
  request: ThreadCollectionRequest,
): Promise<OrderedCollection | OrderedCollectionPage> {
  const { thread, article, feed, ctx, now, page } = request;
  const id = threadContextUri(ctx.publicUrl, feed.slug, article.id);
  const range = page === null ? { offset: 0, limit: 1 } : pageRange(page);
  // Position 0 is the article's post; its updates and corrections follow it.
  const followUps = await thread.followUps(article.id, now, {
    offset: Math.max(0, range.offset - 1),
    limit: range.offset === 0 ? range.limit - 1 : range.limit,
  });
  const total = followUps.total + 1;
  if (page === null) return collection(id, total, ctx);
  const items = followUps.items.flatMap((entry) => entryUri(entry, article, feed, ctx) ?? []);
  if (range.offset === 0) items.unshift(objectUri(ctx.publicUrl, feed.slug, article.id));
  return collectionPage(id, page, total, items);
}

/** The article post's `replies`: its updates, corrections and the readers' replies, by time. */
export async function toRepliesCollection(
  request: ThreadCollectionRequest,
): Promise<OrderedCollection | OrderedCollectionPage> {
  const { thread, article, feed, ctx, now, page } = request;
  const id = repliesUri(ctx.publicUrl, feed.slug, article.id);
  const slice = await thread.replies(
    article.id,
    now,
    page === null ? { offset: 0, limit: 0 } : pageRange(page),
  );
  if (page === null) return collection(id, slice.total, ctx);
  const items = slice.items.flatMap((entry) => entryUri(entry, article, feed, ctx) ?? []);
  return collectionPage(id, page, slice.total, items);
}

function entryUri(entry: ThreadEntry, article: Article, feed: Feed, ctx: ObjectContext) {
  if (entry.kind === "update") {
    return liveUpdateObjectUri(ctx.publicUrl, feed.slug, article.id, entry.id);
  }
  if (entry.kind === "correction") {
    return correctionObjectUri(ctx.publicUrl, feed.slug, article.id, entry.id);
  }
  // A reader's reply is named by its own id, on its server (stored as received).
  return URL.parse(entry.id) ?? undefined;
}

function pageRange(page: number): SliceRange {
  return { offset: (page - 1) * THREAD_PAGE_SIZE, limit: THREAD_PAGE_SIZE };
}

/**
 * Pages are paths, not `?page=`: Fedify checks a draft-cavage signature's (request-target)
 * without the query, Mastodon signs it with the query, so under authorized fetch a Mastodon
 * server could not read a page addressed by query.
 */
function pageUri(collectionId: URL, page: number): URL {
  return new URL(`${collectionId.pathname}/page/${page}`, collectionId);
}

function lastPage(total: number): number {
  return Math.max(1, Math.ceil(total / THREAD_PAGE_SIZE));
}

function collection(id: URL, total: number, ctx: ObjectContext): OrderedCollection {
  return new OrderedCollection({
    id,
    // FEP-7888: who holds authority over the thread (its replies go to this actor).
    attribution: ctx.actorUri,
    totalItems: total,
    first: pageUri(id, 1),
    last: pageUri(id, lastPage(total)),
  });
}

function collectionPage(
  collectionId: URL,
  page: number,
  total: number,
  items: URL[],
): OrderedCollectionPage {
  return new OrderedCollectionPage({
    id: pageUri(collectionId, page),
    partOf: collectionId,
    totalItems: total,
    items,
    prev: page > 1 ? pageUri(collectionId, page - 1) : null,
    next: page < lastPage(total) ? pageUri(collectionId, page + 1) : null,
  });
}
