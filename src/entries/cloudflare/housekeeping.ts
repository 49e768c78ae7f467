import type { OutboxRelay } from "../../federation/outbox-relay.ts";
import { sweep } from "../../fedify-kysely/index.ts";
import type { Logger } from "../../logger.ts";
import type { Db } from "../../storage/database.ts";

/** Expired key–value rows deleted per statement, and statements per run. */
const SWEEP_BATCH = 500;
const SWEEP_BATCHES = 20;

export interface HousekeepingResult {
  readonly relayed: number;
  readonly expiredKvRows: number;
  readonly orphanShares: number;
  readonly prunedDeliveryRecords: number;
}

/**
 * What a long-running Node process does on timers, done by the Worker's Cron Trigger instead:
 * relay outbox entries that came due (scheduled articles) or were left behind (a relay in
 * `waitUntil` that was cut short), send the WebSub pings that came due, sweep what Fedify's store and queue leave behind
 * (src/fedify-kysely/sweep.ts), and prune the delivery record past DELIVERY_RECORD_DAYS.
 */
export async function runHousekeeping(
  db: Db,
  relay: OutboxRelay,
  logger: Logger,
  drainWebSub: () => Promise<void> = async () => {},
  pruneDeliveryRecord: () => Promise<number> = async () => 0,
): Promise<HousekeepingResult> {
  const relayed = await relay.drain();
  // WebSub pings due now: retries after their backoff, embargoed stories that went public.
  await drainWebSub();
  const { expiredKvRows, orphanShares } = await sweep(db, {
    batchSize: SWEEP_BATCH,
    maxBatches: SWEEP_BATCHES,
  });
  const prunedDeliveryRecords = await pruneDeliveryRecord();
  if (relayed > 0 || expiredKvRows > 0 || orphanShares > 0 || prunedDeliveryRecords > 0) {
    logger.info("housekeeping", { relayed, expiredKvRows, orphanShares, prunedDeliveryRecords });
  }
  return { relayed, expiredKvRows, orphanShares, prunedDeliveryRecords };
}
