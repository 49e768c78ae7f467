import type { FederationBuilder } from "@fedify/fedify";
import type { Object as APObject } from "@fedify/vocab";
import { decodeCursor, encodeCursor } from "../domain/cursor.ts";
import type { FederationData } from "./context-data.ts";
import { fetchAuthorized, isActorDocumentRequest } from "./fetch-authorization.ts";
import { INSTANCE_ACTOR, toInstanceActor } from "./instance-actor.ts";
import { toCreate, toObject } from "./objects.ts";
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
      if (!feed) return null;
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
      return feed ? ctx.data.keys.keyPairs(identifier) : [];
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
      const articles = await ctx.data.repos.articles.listPublicInFeed(
        identifier,
        OUTBOX_PAGE_SIZE,
        ctx.data.clock.now(),
        after,
      );
      const objectContext = {
        publicUrl: ctx.data.publicUrl,
        actorUri: ctx.getActorUri(identifier),
        followersUri: ctx.getFollowersUri(identifier),
      };
      const items = articles.map((article) => toCreate(article, feed, objectContext));
      const last = articles.at(-1);
      const nextCursor = articles.length === OUTBOX_PAGE_SIZE && last ? encodeCursor(last) : null;
      return { items, nextCursor };
    })
    .setCounter((ctx, identifier) =>
      ctx.data.repos.articles.countPublic(ctx.data.clock.now(), identifier),
    )
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
