import { sql } from "kysely";
import { fedifyTables, type KyselyWithFedifyTables } from "./schema.ts";

export interface SweepOptions {
  /** Rows deleted per statement, so no sweep becomes one long-running statement (default 200). */
  readonly batchSize?: number;
  /** Statements per call at most (default 1). */
  readonly maxBatches?: number;
}

export interface SweepResult {
  readonly expiredKvRows: number;
  readonly orphanShares: number;
}

/**
 * Deletes what the store and the queue leave behind: expired key–value rows (invisible to
 * reads the moment they expire, deleted later) and shared message parts no message refers to.
 * The one sweep: the key–value store runs it now and then on `set()`, the queue's consumers
 * every minute, and a runtime without long-lived processes (Cloudflare's Cron Trigger) on a
 * schedule.
 */
export async function sweep(
  db: KyselyWithFedifyTables,
  options: SweepOptions = {},
): Promise<SweepResult> {
  return {
    expiredKvRows: await sweepExpiredKv(db, options),
    orphanShares: await sweepOrphanShares(db),
  };
}

export async function sweepExpiredKv(
  db: KyselyWithFedifyTables,
  { batchSize = 200, maxBatches = 1 }: SweepOptions = {},
): Promise<number> {
  let deleted = 0;
  for (let batch = 0; batch < maxBatches; batch++) {
    const result = await fedifyTables(db)
      .deleteFrom("fedifyKv")
      .where("key", "in", (eb) =>
        eb
          .selectFrom("fedifyKv")
          .select("key")
          .where("expiresAt", "<=", sql<Date>`now()`)
          .limit(batchSize),
      )
      .where("expiresAt", "<=", sql<Date>`now()`)
      .executeTakeFirst();
    const rows = Number(result.numDeletedRows);
    deleted += rows;
    if (rows < batchSize) break;
  }
  return deleted;
}

/**
 * Shared parts no message refers to any more. The acknowledging claim deletes them as it goes;
 * this catches the few left when two consumers acknowledged a batch's last messages at the same
 * moment (each still saw the other's message). A minute's grace covers a batch being enqueued.
 */
export async function sweepOrphanShares(db: KyselyWithFedifyTables): Promise<number> {
  const result = await sql`
    delete from fedify_message_shares s
    where s.created_at < now() - interval '1 minute'
      and not exists (select 1 from fedify_messages m where m.share_id = s.id)
  `.execute(db);
  return Number(result.numAffectedRows ?? 0n);
}
