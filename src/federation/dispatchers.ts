import type { FederationBuilder, RequestContext } from "@fedify/fedify";
import type { Object as APObject } from "@fedify/vocab";
import type { Article, LiveUpdate } from "../domain/article.ts";
import { type ArticleCursor, decodeCursor, encodeCursor } from "../domain/cursor.ts";
import { toActor } from "./actor.ts";
import type { FederationData } from "./context-data.ts";
import { fetchAuthorized, isActorDocumentRequest } from "./fetch-authorization.ts";
import { INSTANCE_ACTOR, toInstanceActor } from "./instance-actor.ts";
import { toCreate, toLiveUpdateActivity, toObject } from "./objects.ts";
import { PATHS } from "./paths.ts";
import { toRecipients } from "./recipients.ts";
import { servedActor } from "./served-actor.ts";

const FOLLOWERS_PAGE_SIZE = 500;
const OUTBOX_PAGE_SIZE = 20;
const FEATURED_LIMIT = 5;

/** Actors, keys, collections and NodeInfo: what the fediverse reads about each feed. */
export function registerDispatchers(builder: FederationBuilder<FederationData>): void {
  builder
    .setActorDispatcher(PATHS.actor, async (ctx, identifier) => {
      if (identifier === INSTANCE_ACTOR) return toInstanceActor(ctx);
      const feed = await ctx.data.repos.feeds.find(identifier);
      if (!feed) return movedActor(ctx, identifier);
      // Secure mode: an unsigned (or blocked) reader of the document gets its key and inboxes.
      const publicPartsOnly =
        ctx.data.authorizedFetch &&
        isActorDocumentRequest(ctx, ctx.getActorUri(identifier)) &&
        !(await fetchAuthorized(ctx));
      return servedActor(ctx, feed, publicPartsOnly ? "public-parts" : "full");
    })
    .setKeyPairsDispatcher(async (ctx, identifier) => {
      if (identifier === INSTANCE_ACTOR) return ctx.data.instanceKeys.keyPairs(INSTANCE_ACTOR);
      const feed = await ctx.data.repos.feeds.find(identifier);
      // An old slug's actor keeps the keys servers cached for it (its Move is signed with them).
      return feed ? ctx.data.keys.keyPairs(identifier) : ctx.data.keys.aliasKeyPairs(identifier);
    });

  builder
    .setFollowersDispatcher(PATHS.followers, async (ctx, identifier, cursor) => {
      if (cursor === null) return null; // the collection itself is paged: see setFirstCursor
      const after = cursor === "" ? null : decodeText(cursor);
      const page = await ctx.data.repos.followers.page(identifier, after, FOLLOWERS_PAGE_SIZE);
      const items = toRecipients(page);
      const last = page.at(-1);
      const nextCursor =
        page.length === FOLLOWERS_PAGE_SIZE && last ? encodeText(last.actorId) : null;
      return { items, nextCursor };
    })
    .setCounter((ctx, identifier) => ctx.data.repos.followers.count(identifier))
    .setFirstCursor(() => "")
    .authorize(fetchAuthorized);

  builder
    .setOutboxDispatcher(PATHS.outbox, async (ctx, identifier, cursor) => {
      if (cursor === null) return null;
      const feed = await ctx.data.repos.feeds.find(identifier);
      if (!feed) return null;
      const after = cursor === "" ? undefined : decodeCursor(cursor);
      const objectContext = {
        publicUrl: ctx.data.publicUrl,
        actorUri: ctx.getActorUri(identifier),
        followersUri: ctx.getFollowersUri(identifier),
      };
      const posts = await outboxPosts(ctx.data.repos, identifier, ctx.data.clock.now(), after);
      const items = posts.map((post) =>
        post.update
          ? toLiveUpdateActivity("create", post.update, post.article, feed, objectContext)
          : toCreate(post.article, feed, objectContext),
      );
      const last = posts.at(-1);
      const nextCursor =
        posts.length === OUTBOX_PAGE_SIZE && last ? encodeCursor(positionOf(last)) : null;
      return { items, nextCursor };
    })
    .setCounter(async (ctx, identifier) => {
      const now = ctx.data.clock.now();
      const { articles, liveUpdates } = ctx.data.repos;
      const [stories, updates] = await Promise.all([
        articles.countPublic(now, identifier),
        liveUpdates.countPublicInFeed(identifier, now),
      ]);
      return stories + updates;
    })
    .setFirstCursor(() => "")
    .authorize(fetchAuthorized);

  builder
    .setFollowingDispatcher(PATHS.following, () => ({ items: [] }))
    .setCounter(() => 0)
    .authorize(fetchAuthorized);

  builder
    .setFeaturedDispatcher(PATHS.featured, async (ctx, identifier) => {
      const feed = await ctx.data.repos.feeds.find(identifier);
      if (!feed) return null;
      const pinned = await ctx.data.repos.articles.listPinnedInFeed(
        identifier,
        FEATURED_LIMIT,
        ctx.data.clock.now(),
      );
      const objectContext = {
        publicUrl: ctx.data.publicUrl,
        actorUri: ctx.getActorUri(identifier),
        followersUri: ctx.getFollowersUri(identifier),
      };
      const items: APObject[] = pinned.map((article) => toObject(article, feed, objectContext));
      return { items };
    })
    .authorize(fetchAuthorized);

  builder.setNodeInfoDispatcher(PATHS.nodeInfo, async (ctx) => {
    const [feeds, posts] = await Promise.all([
      ctx.data.repos.feeds.list(),
      ctx.data.repos.articles.countPublic(ctx.data.clock.now()),
    ]);
    return {
      software: { name: "tidings", version: "0.1.0" },
      protocols: ["activitypub"],
      services: { inbound: [], outbound: ["rss2.0", "atom1.0"] },
      openRegistrations: false,
      usage: {
        users: { total: feeds.length, activeMonth: feeds.length, activeHalfyear: feeds.length },
        localPosts: posts,
        localComments: 0,
      },
    };
  });
}

/**
 * A feed's old slug (after a rename): the account it was, `movedTo` the feed's. Served with a
 * 200, not a redirect: Mastodon dereferences the Move's actor and verifies it with its key.
 * Built fresh each time (no cache): only servers processing the Move ask for it.
 */
async function movedActor(ctx: RequestContext<FederationData>, slug: string) {
  const alias = await ctx.data.repos.feeds.findAlias(slug);
  const feed = alias ? await ctx.data.repos.feeds.find(alias.feedSlug) : undefined;
  return feed ? toActor(ctx, feed, { movedFrom: slug }) : null;
}

/** One post of a feed's outbox: a story, or one of its live updates (a reply to it). */
interface OutboxPost {
  readonly article: Article;
  readonly update?: LiveUpdate;
}

const positionOf = (post: OutboxPost): ArticleCursor => post.update ?? post.article;

/** Newer first: publication time, then id (as PostgreSQL orders uuids). */
function newerFirst(a: OutboxPost, b: OutboxPost): number {
  const [x, y] = [positionOf(a), positionOf(b)];
  const byTime = y.publishedAt.getTime() - x.publishedAt.getTime();
  return byTime !== 0 ? byTime : y.id < x.id ? -1 : y.id > x.id ? 1 : 0;
}

/**
 * A page of the feed's public posts, stories and live updates together, newest first: a page
 * of each after the cursor, merged, the first OUTBOX_PAGE_SIZE kept.
 */
async function outboxPosts(
  repos: FederationData["repos"],
  slug: string,
  now: Date,
  after: ArticleCursor | undefined,
): Promise<OutboxPost[]> {
  const [articles, updates] = await Promise.all([
    repos.articles.listPublicInFeed(slug, OUTBOX_PAGE_SIZE, now, after),
    repos.liveUpdates.listPublicInFeed(slug, OUTBOX_PAGE_SIZE, now, after),
  ]);
  const known = new Map(articles.map((article) => [article.id, article]));
  const missing = [...new Set(updates.map((u) => u.articleId))].filter((id) => !known.has(id));
  for (const article of await Promise.all(missing.map((id) => repos.articles.findById(id)))) {
    if (article) known.set(article.id, article);
  }
  const posts: OutboxPost[] = [
    ...articles.map((article) => ({ article })),
    ...updates.flatMap((update) => {
      const article = known.get(update.articleId);
      return article ? [{ article, update }] : [];
    }),
  ];
  return posts.sort(newerFirst).slice(0, OUTBOX_PAGE_SIZE);
}

// Follower cursors carry an actor id; keep them opaque and URL-safe.
function encodeText(text: string): string {
  return btoa(text).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

function decodeText(cursor: string): string | null {
  try {
    return atob(cursor.replaceAll("-", "+").replaceAll("_", "/"));
  } catch {
    return null;
  }
}
