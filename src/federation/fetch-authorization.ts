import { type RequestContext, verifyRequestDetailed } from "@fedify/fedify";
import type { FederationData } from "./context-data.ts";
import { instanceDocumentLoader } from "./instance-actor.ts";
import { kvKeyCache } from "./key-cache.ts";

/**
 * Authorized fetch (AUTHORIZED_FETCH=true, Mastodon's secure mode): whether a GET may read an
 * object or a collection. Off: everyone may. On: only a request signed (HTTP signatures, the
 * key fetched as the instance actor and cached like the inbox's keys) by a server, and an
 * actor, that is not suspended here.
 */
export async function fetchAuthorized(ctx: RequestContext<FederationData>): Promise<boolean> {
  if (!ctx.data.authorizedFetch) return true;
  const requester = await verifiedRequester(ctx);
  return requester !== undefined && !(await ctx.data.blocks.current()).isSuspended(requester);
}

/** The actor (its key id, without the fragment) that signed the request, once verified. */
async function verifiedRequester(ctx: RequestContext<FederationData>): Promise<string | undefined> {
  const request = ctx.request;
  if (!request.headers.has("signature")) return undefined;
  const loaders = {
    documentLoader: instanceDocumentLoader(ctx),
    contextLoader: ctx.contextLoader,
  };
  const result = await verifyRequestDetailed(request.clone(), {
    ...loaders,
    keyCache: kvKeyCache(ctx.data.kv, loaders),
  });
  if (!result.verified) return undefined;
  const owner = result.key.ownerId ?? result.key.id;
  if (!owner) return undefined;
  const url = new URL(owner.href);
  url.hash = "";
  return url.href;
}

/** Whether the request reads this actor's own document (not WebFinger, not an inbox POST). */
export function isActorDocumentRequest(
  ctx: RequestContext<FederationData> | { request?: undefined },
  actorUri: URL,
): ctx is RequestContext<FederationData> {
  const request = ctx.request;
  return (
    request !== undefined &&
    (request.method === "GET" || request.method === "HEAD") &&
    new URL(request.url).pathname === actorUri.pathname
  );
}
