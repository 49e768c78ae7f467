import type { Recipient } from "@fedify/vocab";
import type { Follower } from "../storage/follower-repository.ts";

/**
 * Followers as Fedify's recipients. Followers on one server share its inbox, so each distinct
 * shared-inbox URL is parsed once (a fan-out to 10,000 followers on 1,000 servers parses 1,000).
 */
export function toRecipients(followers: readonly Follower[]): Recipient[] {
  const sharedInboxes = new Map<string, URL>();
  return followers.map((follower) => {
    let sharedInbox: URL | null = null;
    if (follower.sharedInboxUrl) {
      sharedInbox = sharedInboxes.get(follower.sharedInboxUrl) ?? new URL(follower.sharedInboxUrl);
      sharedInboxes.set(follower.sharedInboxUrl, sharedInbox);
    }
    return {
      id: new URL(follower.actorId),
      inboxId: new URL(follower.inboxUrl),
      endpoints: { sharedInbox },
    };
  });
}
