import type { Context, DocumentLoader } from "@fedify/fedify";
import { Application, Endpoints } from "@fedify/vocab";
import type { FederationData } from "./context-data.ts";

/**
 * The identifier of the instance actor: the service itself, which signs Tidings' own fetches
 * (actors, keys, objects) so that servers in secure mode answer them. Not a valid feed slug
 * (feeds have no underscore), so it can never be taken by a feed. Served at
 * `/ap/feeds/_instance`, always in full, as Mastodon serves its own (`/actor`).
 */
export const INSTANCE_ACTOR = "_instance";

/** The instance actor's document: an Application with a key, which follows no one. */
export async function toInstanceActor(ctx: Context<FederationData>): Promise<Application> {
  const keys = await ctx.getActorKeyPairs(INSTANCE_ACTOR);
  const host = new URL(ctx.data.publicUrl).host;
  return new Application({
    id: ctx.getActorUri(INSTANCE_ACTOR),
    preferredUsername: host,
    name: host,
    summary: "The service itself: it signs this server's requests to others.",
    url: new URL(ctx.data.publicUrl),
    manuallyApprovesFollowers: true,
    inbox: ctx.getInboxUri(INSTANCE_ACTOR),
    outbox: ctx.getOutboxUri(INSTANCE_ACTOR),
    endpoints: new Endpoints({ sharedInbox: ctx.getInboxUri() }),
    publicKey: keys[0]?.cryptographicKey ?? null,
    assertionMethods: keys.map((pair) => pair.multikey),
  });
}

/**
 * A document loader that signs its GETs as the instance actor. Built on first use: most inbox
 * requests need no fetch at all (keys are cached), so most never pay for the loader.
 */
export function instanceDocumentLoader(ctx: Context<FederationData>): DocumentLoader {
  let loader: Promise<DocumentLoader> | undefined;
  return async (url, options) => {
    loader ??= ctx.getDocumentLoader({ identifier: INSTANCE_ACTOR });
    return (await loader)(url, options);
  };
}
