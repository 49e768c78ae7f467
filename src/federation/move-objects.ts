import type { Context } from "@fedify/fedify";
import { Move } from "@fedify/vocab";
import type { FederationData } from "./context-data.ts";
import { moveUri } from "./paths.ts";

/**
 * database -> fediverse: a feed's rename as Mastodon sends an account's move: the old actor
 * moves itself (`object`) to the new one (`target`), to its followers. Mastodon checks that the
 * target's `alsoKnownAs` names the old actor, then has each follower follow the new one.
 */
export function toMove(
  ctx: Context<FederationData>,
  fromSlug: string,
  toSlug: string,
  entryId: string,
): Move {
  const origin = ctx.getActorUri(fromSlug);
  return new Move({
    id: moveUri(ctx.data.publicUrl, fromSlug, entryId),
    actor: origin,
    object: origin,
    target: ctx.getActorUri(toSlug),
    to: ctx.getFollowersUri(fromSlug),
  });
}
