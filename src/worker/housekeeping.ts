import { sql } from "kysely";
import type { OutboxRelay } from "../federation/outbox-relay.ts";
import type { Logger } from "../logger.ts";
import type { Db } from "../storage/database.ts";

/** Expired key–value rows deleted per statement, and statements per run. */
const SWEEP_BATCH = 500;
const SWEEP_BATCHES = 20;

export interface HousekeepingResult {
  readonly relayed: number;
  readonly expiredKvRows: number;
}

/**
 * What a long-running Node process does on timers, done by the Worker's Cron Trigger instead:
 * relay outbox entries that came due (scheduled articles) or were left behind (a relay in
 * `waitUntil` that was cut short), and delete expired Fedify key–value rows.
 */
export async function runHousekeeping(
  db: Db,
  relay: OutboxRelay,
  logger: Logger,
): Promise<HousekeepingResult> {
  const relayed = await relay.drain();
  let expiredKvRows = 0;
  for (let batch = 0; batch < SWEEP_BATCHES; batch++) {
    const result = await sql`
      delete from fedify_kv where key in (
        select key from fedify_kv where expires_at <= now() limit ${SWEEP_BATCH})`.execute(db);
    const deleted = Number(result.numAffectedRows ?? 0n);
    expiredKvRows += deleted;
    if (deleted < SWEEP_BATCH) break;
  }
  if (relayed > 0 || expiredKvRows > 0) {
    logger.info("housekeeping", { relayed, expiredKvRows });
  }
  return { relayed, expiredKvRows };
}
