import type { Logger } from "../../logger.ts";
import type { MessageBatch } from "./cloudflare.ts";

/** Cloudflare Queues' longest retry delay (12 hours). */
const MAX_RETRY_DELAY_SECONDS = 43_200;

/** Backoff before the next delivery of a failed message: 5 s, doubling per attempt, up to 12 h. */
export function retryDelaySeconds(attempts: number): number {
  return Math.min(MAX_RETRY_DELAY_SECONDS, 5 * 2 ** Math.min(Math.max(0, attempts - 1), 14));
}

/**
 * Hands every message of a batch to `process` at once. A message whose processing succeeded is
 * acknowledged; one that threw (Fedify throws when its queue has native retries) is retried
 * after a backoff, and after wrangler.toml's `max_retries` goes to the dead-letter queue.
 */
export async function consumeBatch(
  batch: MessageBatch,
  process: (body: unknown) => Promise<void>,
  logger: Logger,
): Promise<void> {
  await Promise.all(
    batch.messages.map(async (message) => {
      try {
        await process(message.body);
        message.ack();
      } catch (error) {
        const delaySeconds = retryDelaySeconds(message.attempts);
        logger.warn("queued task failed; Cloudflare Queues will retry it", {
          queue: batch.queue,
          id: message.id,
          attempts: message.attempts,
          delaySeconds,
          error,
        });
        message.retry({ delaySeconds });
      }
    }),
  );
}
