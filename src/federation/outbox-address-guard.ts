import type { Logger } from "../logger.ts";
import type { FollowerRepository } from "../storage/follower-repository.ts";
import type { AddressGuard } from "./address-guard.ts";
import { readOutboxDestination } from "./fedify-internals.ts";
import type { OutboxShortcut } from "./outbox-shortcut-queue.ts";

/**
 * The check every delivery passes before anyone posts it, Fedify's sender or ours: a message for
 * an inbox that is not a public address is dropped (done, so never retried), and the followers
 * behind that inbox are removed, since every later delivery would be dropped too. Followers are
 * checked when they follow; this catches the ones stored before that check, and names that
 * resolve differently now. A name that does not resolve at all is left to the sender, which
 * fails the same way and retries with backoff as for any unreachable server.
 *
 * An OutboxShortcut: `true` means the message is done (here: dropped), `false` passes it on.
 */
export function dropNonPublicDeliveries(
  guard: AddressGuard,
  followers: FollowerRepository,
  logger: Logger,
): OutboxShortcut {
  return async (message) => {
    const delivery = readOutboxDestination(message);
    if (!delivery) return false;
    const verdict = await guard.checkUrl(delivery.inbox);
    if (verdict.ok || verdict.reason === "unresolvable") return false;
    const removed = await followers.removeByInbox(delivery.inbox);
    logger.warn("dropped a delivery to an inbox that is not a public address", {
      inbox: delivery.inbox,
      activityId: delivery.activityId,
      reason: verdict.reason,
      address: verdict.address,
      removedFollowers: removed,
    });
    return true;
  };
}
