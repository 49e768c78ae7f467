import { sql } from "kysely";
import type { Db } from "../database.ts";

/** What `/metrics` reads from the database at scrape time (gauges), in one round of queries. */
export interface MetricsSnapshot {
  /** Messages in Fedify's queue (deliveries and inbox work), ready, delayed and in hand. */
  readonly queueDepth: number;
  /** Age in seconds of the oldest message still queued (0 when the queue is empty). */
  readonly queueOldestSeconds: number;
  /** Outbox entries (publishes, updates, deletes) not relayed yet. */
  readonly outboxPending: number;
  readonly followersByFeed: readonly { readonly feed: string; readonly followers: number }[];
  readonly reports: { readonly open: number; readonly resolved: number };
  readonly blocksByKind: readonly { readonly kind: string; readonly blocks: number }[];
}

/** Operators' gauges: counted by the database when Prometheus scrapes, never in a route. */
export function createMetricsView(db: Db) {
  return {
    async snapshot(): Promise<MetricsSnapshot> {
      const [queue, outbox, followers, reports, blocks] = await Promise.all([
        sql<{ depth: number; oldest: number | null }>`
          select count(*)::int as depth,
                 extract(epoch from (now() - min(created_at)))::float8 as oldest
          from fedify_messages
        `.execute(db),
        db
          .selectFrom("federationOutbox")
          .select((eb) => eb.fn.countAll<number>().as("pending"))
          .where("processedAt", "is", null)
          .executeTakeFirst(),
        db
          .selectFrom("feeds")
          .leftJoin("followers", "followers.feedSlug", "feeds.slug")
          .select((eb) => ["feeds.slug as feed", eb.fn.count<number>("followers.actorId").as("n")])
          .groupBy("feeds.slug")
          .orderBy("feeds.slug")
          .execute(),
        db
          .selectFrom("reports")
          .select((eb) => [
            eb.fn.countAll<number>().filterWhere("resolvedAt", "is", null).as("open"),
            eb.fn.countAll<number>().filterWhere("resolvedAt", "is not", null).as("resolved"),
          ])
          .executeTakeFirst(),
        db
          .selectFrom("blocks")
          .select((eb) => ["kind", eb.fn.countAll<number>().as("n")])
          .groupBy("kind")
          .orderBy("kind")
          .execute(),
      ]);
      const head = queue.rows[0];
      return {
        queueDepth: Number(head?.depth ?? 0),
        queueOldestSeconds: Math.max(0, Number(head?.oldest ?? 0)),
        outboxPending: Number(outbox?.pending ?? 0),
        followersByFeed: followers.map((row) => ({ feed: row.feed, followers: Number(row.n) })),
        reports: { open: Number(reports?.open ?? 0), resolved: Number(reports?.resolved ?? 0) },
        blocksByKind: blocks.map((row) => ({ kind: row.kind, blocks: Number(row.n) })),
      };
    },
  };
}

export type MetricsView = ReturnType<typeof createMetricsView>;
