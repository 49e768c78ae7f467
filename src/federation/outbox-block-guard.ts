import type { BlockList } from "../domain/block-list.ts";
import { hostOf } from "../domain/blocks.ts";
import type { Logger } from "../logger.ts";
import { readOutboxDestination } from "./fedify-internals.ts";
import type { OutboxShortcut } from "./outbox-shortcut-queue.ts";

/**
 * Beside the address check, before anyone posts a delivery: one to a suspended server is
 * dropped (done, never retried), so a block also stops the fan-out already queued. The check
 * reads the in-memory block list, not the database.
 */
export function dropBlockedDeliveries(blocks: BlockList, logger: Logger): OutboxShortcut {
  return async (message) => {
    const delivery = readOutboxDestination(message);
    if (!delivery) return false;
    const set = await blocks.current();
    if (!set.isSuspendedHost(hostOf(delivery.inbox))) return false;
    logger.info("dropped a delivery to a blocked server", {
      inbox: delivery.inbox,
      activityId: delivery.activityId,
    });
    return true;
  };
}
