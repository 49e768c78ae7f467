import {
  Accept,
  Delete,
  InteractionPolicy,
  InteractionRule,
  PUBLIC_COLLECTION,
  QuoteAuthorization,
  QuoteRequest,
  Reject,
} from "@fedify/vocab";
import type { Feed } from "../domain/feed.ts";
import type { QuoteAuthorization as StoredQuote } from "../domain/quotes.ts";
import type { ObjectContext } from "./objects.ts";
import { quoteAuthorizationUri } from "./paths.ts";
import { shortHash } from "./short-hash.ts";

type QuoteContext = ObjectContext;

/**
 * database -> fediverse: who may quote the feed's posts (FEP-044f `canQuote`), all approved
 * automatically. `nobody` names only the feed itself, as Mastodon does for its own "nobody":
 * a post without `canQuote` would read as quotable by anyone.
 */
export function toInteractionPolicy(feed: Feed, ctx: QuoteContext): InteractionPolicy {
  const approved =
    feed.quotePolicy === "everyone"
      ? PUBLIC_COLLECTION
      : feed.quotePolicy === "followers"
        ? ctx.followersUri
        : ctx.actorUri;
  return new InteractionPolicy({
    canQuote: new InteractionRule({ automaticApproval: approved }),
  });
}

/** database -> fediverse: the proof, fetched by anyone who shows the quote, that we agreed. */
export function toQuoteAuthorization(quote: StoredQuote, ctx: QuoteContext): QuoteAuthorization {
  return new QuoteAuthorization({
    id: authorizationUri(quote, ctx),
    attribution: ctx.actorUri,
    interactingObject: new URL(quote.quotingObject),
    interactionTarget: new URL(quote.targetUri),
  });
}

/** The request as they sent it (id, actor, object, instrument): what Accept and Reject name. */
function echoedRequest(request: QuoteRequestFields): QuoteRequest {
  return new QuoteRequest({
    id: new URL(request.requestId),
    actor: new URL(request.quotingActor),
    object: new URL(request.targetUri),
    instrument: new URL(request.quotingObject),
  });
}

type QuoteRequestFields = Pick<
  StoredQuote,
  "requestId" | "quotingActor" | "targetUri" | "quotingObject"
>;

/**
 * Accept of their QuoteRequest, `result` the authorization. The id follows the request, so a
 * relay that re-sends it after a crash sends the same activity.
 */
export async function toQuoteAccept(quote: StoredQuote, ctx: QuoteContext): Promise<Accept> {
  return new Accept({
    id: new URL(`${ctx.actorUri.href}#accepts/quotes/${await shortHash(quote.requestId)}`),
    actor: ctx.actorUri,
    to: new URL(quote.quotingActor),
    object: echoedRequest(quote),
    result: authorizationUri(quote, ctx),
  });
}

/** Reject of a QuoteRequest the feed's policy (or a block) does not allow. */
export async function toQuoteReject(
  request: QuoteRequestFields,
  ctx: QuoteContext,
): Promise<Reject> {
  return new Reject({
    id: new URL(`${ctx.actorUri.href}#rejects/quotes/${await shortHash(request.requestId)}`),
    actor: ctx.actorUri,
    to: new URL(request.quotingActor),
    object: echoedRequest(request),
  });
}

/**
 * Revocation: Delete of the authorization (its URI, as Mastodon sends and expects), after
 * which servers show the quote as removed and the authorization answers 410.
 */
export function toQuoteAuthorizationDelete(quote: StoredQuote, ctx: QuoteContext): Delete {
  const id = authorizationUri(quote, ctx);
  return new Delete({
    id: new URL(`${id.href}#delete`),
    actor: ctx.actorUri,
    to: PUBLIC_COLLECTION,
    object: id,
  });
}

function authorizationUri(quote: StoredQuote, ctx: QuoteContext): URL {
  return quoteAuthorizationUri(ctx.publicUrl, quote.feedSlug, quote.articleId, quote.id);
}
