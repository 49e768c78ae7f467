import type { InboxContext } from "@fedify/fedify";
import type { QuoteRequest } from "@fedify/vocab";
import { isPublic } from "../domain/article.ts";
import { quoteVerdict } from "../domain/quotes.ts";
import { visibleAt } from "../domain/thread-announcements.ts";
import type { FederationData } from "./context-data.ts";
import { parseThreadObjectUri } from "./paths.ts";
import { toQuoteReject } from "./quote-objects.ts";

type Ctx = InboxContext<FederationData>;

/**
 * QuoteRequest (FEP-044f): someone wants to quote one of our posts (`object`) in theirs
 * (`instrument`). Within the feed's quote policy: the authorization is stored and its Accept
 * queued in one transaction (the outbox relay delivers it); outside it, or from a silenced
 * server or actor: Reject, nothing stored. A request for a post we do not show (unknown,
 * embargoed, deleted) is ignored, as Mastodon ignores one for a post it cannot distribute.
 */
export async function onQuoteRequest(ctx: Ctx, request: QuoteRequest): Promise<void> {
  const { id, actorId, objectId, instrumentId } = request;
  if (!id || !actorId || !objectId || !instrumentId) return;
  // Their request and their post are theirs: same server as the actor that signed.
  if (id.origin !== actorId.origin || instrumentId.origin !== actorId.origin) return;
  const target = parseThreadObjectUri(ctx.data.publicUrl, objectId);
  if (!target) return;
  const { repos, clock } = ctx.data;
  const now = clock.now();
  const [feed, article] = await Promise.all([
    repos.feeds.find(target.feedSlug),
    repos.articles.findById(target.articleId),
  ]);
  if (!feed || !article?.feeds.includes(feed.slug) || !isPublic(article, now)) return;
  if (target.updateId !== null) {
    const update = await repos.liveUpdates.findById(article.id, target.updateId);
    if (!update || !visibleAt(article, update, now)) return;
  }
  const requester = await request.getActor(ctx);
  if (!requester?.id || !requester.inboxId || requester.id.href !== actorId.href) return;
  const verdict = quoteVerdict(feed.quotePolicy, {
    follows:
      feed.quotePolicy === "followers" && (await repos.followers.follows(feed.slug, actorId.href)),
    blocked: (await ctx.data.blocks.current()).blockOf(actorId) !== undefined,
  });
  const quote = {
    articleId: article.id,
    feedSlug: feed.slug,
    targetUri: objectId.href,
    quotingObject: instrumentId.href,
    quotingActor: actorId.href,
    quotingInbox: requester.inboxId.href,
    requestId: id.href,
  };
  const objectContext = {
    publicUrl: ctx.data.publicUrl,
    actorUri: ctx.getActorUri(feed.slug),
    followersUri: ctx.getFollowersUri(feed.slug),
  };
  if (!verdict.approved) {
    ctx.data.logger.info("refused a quote", { ...quote, reason: verdict.reason });
    await ctx.sendActivity(
      { identifier: feed.slug },
      requester,
      await toQuoteReject(quote, objectContext),
    );
    return;
  }
  const granted = await repos.quotes.grant(quote, now);
  if (!granted) {
    ctx.data.logger.info("ignored a quote request for a revoked or foreign quote", quote);
    return;
  }
  ctx.data.onOutboxWork?.();
  ctx.data.logger.info("approved a quote", { ...quote, authorization: granted.id });
  ctx.data.onInteraction?.(article.id);
}
