import type { FederationBuilder, InboxContext } from "@fedify/fedify";
import {
  Accept,
  Activity,
  Announce,
  Create,
  Delete,
  Flag,
  Follow,
  Like,
  Note,
  QuoteRequest,
  Undo,
} from "@fedify/vocab";
import { isPublic } from "../domain/article.ts";
import { correctionInThread, visibleAt } from "../domain/thread-announcements.ts";
import type { InteractionKind } from "../storage/interaction-repository.ts";
import type { FederationData } from "./context-data.ts";
import { onQuoteRequest } from "./inbox-quotes.ts";
import { INSTANCE_ACTOR } from "./instance-actor.ts";
import { PATHS, parseObjectUri, parseThreadObjectUri } from "./paths.ts";
import { shortHash } from "./short-hash.ts";

type Ctx = InboxContext<FederationData>;

/**
 * What the fediverse tells us. Fedify has already verified the HTTP signature (draft-cavage or
 * RFC 9421) and that the activity's actor owns the signing key before any of this runs.
 */
export function registerInboxListeners(builder: FederationBuilder<FederationData>): void {
  builder
    .setInboxListeners(PATHS.inbox, PATHS.sharedInbox)
    // Fetches made while handling the shared inbox (actors, objects) are signed as the
    // instance actor; a feed's own inbox signs as the feed.
    .setSharedKeyDispatcher(() => ({ identifier: INSTANCE_ACTOR }))
    .on(Follow, counted("Follow", onFollow))
    .on(Undo, counted("Undo", onUndo))
    .on(Delete, counted("Delete", onDelete))
    .on(
      Like,
      counted("Like", (ctx, like) => onInteraction(ctx, like, "like")),
    )
    .on(
      Announce,
      counted("Announce", (ctx, announce) => onInteraction(ctx, announce, "announce")),
    )
    .on(Create, counted("Create", onCreate))
    .on(Flag, counted("Flag", onFlag))
    .on(QuoteRequest, counted("QuoteRequest", onQuoteRequest))
    .on(Activity, (ctx, activity) => {
      ctx.data.metrics?.inboxActivity("other");
      ctx.data.logger.debug("ignored an activity", {
        type: activity.constructor.name,
        id: activity.id?.href,
      });
    })
    .onError((ctx, error) => {
      ctx.data.logger.error("inbox listener failed", { error });
    });
}

/** A listener that first counts its activity (a fixed label per type: bounded cardinality). */
function counted<A>(
  type: string,
  listener: (ctx: Ctx, activity: A) => Promise<void> | void,
): (ctx: Ctx, activity: A) => Promise<void> | void {
  return (ctx, activity) => {
    ctx.data.metrics?.inboxActivity(type);
    return listener(ctx, activity);
  };
}

/**
 * Follow -> store the follower, answer Accept. A repeated Follow refreshes the inboxes. A
 * follower whose inboxes are not public addresses is refused (not stored, no Accept).
 */
async function onFollow(ctx: Ctx, follow: Follow): Promise<void> {
  if (!follow.id || !follow.actorId || !follow.objectId) return;
  const target = ctx.parseUri(follow.objectId);
  if (target?.type !== "actor") return;
  const feed = await ctx.data.repos.feeds.find(target.identifier);
  if (!feed) return;
  const follower = await follow.getActor(ctx);
  if (!follower?.id || !follower.inboxId || follower.id.href !== follow.actorId.href) return;
  const sharedInbox = follower.endpoints?.sharedInbox ?? null;
  for (const inbox of sharedInbox ? [follower.inboxId, sharedInbox] : [follower.inboxId]) {
    const verdict = await ctx.data.addressGuard.checkUrl(inbox);
    if (verdict.ok) continue;
    // Fedify retries a listener that throws: the name may resolve by then.
    if (verdict.reason === "unresolvable") throw new Error(`inbox ${inbox.href} does not resolve`);
    // Everything we would ever send this follower would go to a private or loopback address.
    ctx.data.logger.warn("refused a follower whose inbox is not a public address", {
      feed: feed.slug,
      actor: follower.id.href,
      inbox: inbox.href,
      reason: verdict.reason,
      address: verdict.address,
    });
    return;
  }
  await ctx.data.repos.followers.add(
    feed.slug,
    {
      actorId: follower.id.href,
      inboxUrl: follower.inboxId.href,
      sharedInboxUrl: sharedInbox?.href ?? null,
      followId: follow.id.href,
    },
    ctx.data.clock.now(),
  );
  const actorUri = ctx.getActorUri(feed.slug);
  await ctx.sendActivity(
    { identifier: feed.slug },
    follower,
    new Accept({
      // Derived from the Follow, so answering a repeated Follow repeats the same Accept.
      id: new URL(`${actorUri.href}#accepts/${await shortHash(follow.id.href)}`),
      actor: actorUri,
      object: follow,
    }),
  );
  ctx.data.logger.info("new follower", { feed: feed.slug, actor: follower.id.href });
}

/** Undo(Follow) -> unfollow; Undo(Like/Announce) -> uncount. Only the original actor may undo. */
async function onUndo(ctx: Ctx, undo: Undo): Promise<void> {
  if (!undo.actorId || !undo.objectId) return;
  const actor = undo.actorId.href;
  let object: unknown;
  try {
    object = await undo.getObject(ctx);
  } catch {
    object = null;
  }
  if (object instanceof Follow) {
    if (object.actorId?.href !== actor || !object.objectId) return;
    const target = ctx.parseUri(object.objectId);
    if (target?.type === "actor") {
      await ctx.data.repos.followers.remove(target.identifier, actor);
    }
    return;
  }
  if (object instanceof Like || object instanceof Announce) {
    if (object.actorId?.href !== actor || !object.objectId) return;
    const target = parseObjectUri(ctx.data.publicUrl, object.objectId);
    if (!target) return;
    const kind: InteractionKind = object instanceof Like ? "like" : "announce";
    await ctx.data.repos.interactions.remove(target.articleId, kind, actor);
    ctx.data.onInteraction?.(target.articleId);
  }
}

/**
 * Delete of an actor (its account is gone) -> it follows nothing here; of a post -> drop it as
 * a reply, and revoke our authorization of it as a quote (FEP-044f: it quotes nothing now).
 */
async function onDelete(ctx: Ctx, del: Delete): Promise<void> {
  if (!del.actorId || !del.objectId) return;
  if (del.objectId.href === del.actorId.href) {
    await ctx.data.repos.followers.removeEverywhere([del.actorId.href]);
    return;
  }
  await ctx.data.repos.interactions.removeReply(del.objectId.href, del.actorId.href);
  const quoted = await ctx.data.repos.quotes.revokeByQuotingObject(
    del.objectId.href,
    del.actorId.href,
    ctx.data.clock.now(),
  );
  for (const articleId of new Set(quoted)) ctx.data.onInteraction?.(articleId);
}

async function onInteraction(ctx: Ctx, activity: Like | Announce, kind: InteractionKind) {
  if (!activity.id || !activity.actorId || !activity.objectId) return;
  const target = parseObjectUri(ctx.data.publicUrl, activity.objectId);
  if (!target) return;
  const article = await ctx.data.repos.articles.findById(target.articleId);
  // Only what readers can see takes likes and replies: an embargoed story is unknown here.
  if (!article || !isPublic(article, ctx.data.clock.now())) return;
  await ctx.data.repos.interactions.add(
    article.id,
    kind,
    activity.actorId.href,
    activity.id.href,
    ctx.data.clock.now(),
  );
  ctx.data.onInteraction?.(article.id);
}

/** Create(Note) replying to one of our articles (or its updates) -> keep it, sanitised. */
async function onCreate(ctx: Ctx, create: Create): Promise<void> {
  if (!create.actorId) return;
  const object = await create.getObject(ctx);
  if (!(object instanceof Note) || !object.id || !object.replyTargetId) return;
  if (object.attributionId?.href !== create.actorId.href) return;
  // A reply to one of the story's live updates (or corrections) is a reply in the story's
  // thread, kept with it.
  const target = parseThreadObjectUri(ctx.data.publicUrl, object.replyTargetId);
  if (!target) return;
  const article = await ctx.data.repos.articles.findById(target.articleId);
  // Only what readers can see takes likes and replies: an embargoed story is unknown here.
  if (!article || !isPublic(article, ctx.data.clock.now())) return;
  if (target.updateId !== null) {
    const update = await ctx.data.repos.liveUpdates.findById(article.id, target.updateId);
    if (!update || !visibleAt(article, update, ctx.data.clock.now())) return;
  }
  if (target.correctionId !== null) {
    const correction = article.corrections?.find((c) => c.id === target.correctionId);
    if (!correction || !correctionInThread(article, correction)) return;
  }
  const content = object.content?.toString() ?? "";
  await ctx.data.repos.interactions.addReply(
    {
      id: object.id.href,
      articleId: article.id,
      actorId: create.actorId.href,
      url: object.url instanceof URL ? object.url.href : (object.id?.href ?? null),
      // Sanitised by the repository as it stores it.
      contentHtml: content,
      publishedAt: object.published
        ? new Date(object.published.epochMilliseconds)
        : ctx.data.clock.now(),
    },
    ctx.data.clock.now(),
  );
  ctx.data.onInteraction?.(article.id);
}

/**
 * Flag -> a report for the editors (`GET /admin/reports`), kept as plain text. Reports from a
 * server blocked with "reject reports" are dropped; a suspended one never gets this far.
 */
async function onFlag(ctx: Ctx, flag: Flag): Promise<void> {
  if (!flag.id || !flag.actorId) return;
  const block = (await ctx.data.blocks.current()).blockOf(flag.actorId);
  if (block?.rejectReports) {
    ctx.data.logger.info("dropped a report from a server whose reports are rejected", {
      actor: flag.actorId.href,
    });
    return;
  }
  await ctx.data.repos.reports.add(
    {
      activityId: flag.id.href,
      reporterId: flag.actorId.href,
      objectIds: flag.objectIds.map((id) => id.href),
      comment: flag.content?.toString() ?? "",
    },
    ctx.data.clock.now(),
  );
  ctx.data.logger.info("report received", { reporter: flag.actorId.href, id: flag.id.href });
}
