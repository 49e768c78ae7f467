import { type Kysely, sql } from "kysely";

/**
 * Durable storage for Fedify: its key–value store (src/fedify-kysely/kv-store.ts) and its
 * message queue (src/fedify-kysely/message-queue.ts).
 */
export async function up(db: Kysely<any>): Promise<void> {
  // `key` is the KvKey JSON-encoded without its closing bracket (["a","b"] → `["a","b"`), so every
  // key under a prefix sorts into one contiguous range. The "C" collation makes that range plain
  // byte order, which is what a btree range scan (and the prefix bounds we compute) rely on.
  await db.schema
    .createTable("fedify_kv")
    .addColumn("key", sql`text collate "C"`, (c) => c.primaryKey())
    .addColumn("value", "jsonb", (c) => c.notNull())
    .addColumn("expires_at", "timestamptz")
    .execute();
  await db.schema
    .createIndex("fedify_kv_expires_at_idx")
    .on("fedify_kv")
    .column("expires_at")
    .where(sql.ref("expires_at"), "is not", null)
    .execute();

  await db.schema
    .createTable("fedify_messages")
    // Monotonic: within an ordering key, a smaller id means enqueued earlier.
    .addColumn("id", "bigint", (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn("queue", "text", (c) => c.notNull().defaultTo("default"))
    .addColumn("payload", "jsonb", (c) => c.notNull())
    .addColumn("ordering_key", "text")
    // When the message may next be claimed: enqueue time + delay, retry backoff, or the end
    // of the current lease (a claimed message stays invisible until its lease runs out).
    .addColumn("available_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn("attempts", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("locked_by", "text")
    .addColumn("locked_until", "timestamptz")
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  // Every message is an insert, an update and a delete: vacuum after 1,000 dead rows rather than
  // after 20% of the table, so dead index entries do not pile up in front of the claim scan.
  await sql`
    alter table fedify_messages
    set (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 1000)
  `.execute(db);
  // The claim query walks this index in order and stops at the first claimable row.
  await db.schema
    .createIndex("fedify_messages_claim_idx")
    .on("fedify_messages")
    .columns(["queue", "available_at", "id"])
    .execute();
  // "Is there an earlier message with my ordering key?" is one probe of this index.
  await db.schema
    .createIndex("fedify_messages_ordering_idx")
    .on("fedify_messages")
    .columns(["queue", "ordering_key", "id"])
    .where(sql.ref("ordering_key"), "is not", null)
    .execute();

  // The claim, as a function so that its planner settings stay scoped to it. A queue table
  // churns faster than its statistics: right after a burst of inserts, stale statistics make a
  // bitmap scan + sort over *every* ready row look cheapest, turning each claim into O(queue
  // length). Inside this function the planner only considers the ordered index scan, which
  // stops at the first claimable row. PL/pgSQL rather than SQL because it caches the plan
  // across calls. See src/fedify-kysely/message-queue.ts for the rest.
  await sql`
    create function fedify_claim_message(p_queue text, p_worker text, p_lease_ms double precision)
    returns table (message_id text, message_payload text, message_attempts integer)
    language plpgsql
    set enable_seqscan = off
    set enable_bitmapscan = off
    set enable_sort = off
    as $$
    begin
      return query
      update fedify_messages m
      set locked_by = p_worker,
          locked_until = now() + p_lease_ms * interval '1 millisecond',
          available_at = now() + p_lease_ms * interval '1 millisecond',
          attempts = m.attempts + 1
      where m.id = (
        select c.id from fedify_messages c
        where c.queue = p_queue
          and c.available_at <= now()
          and (c.locked_until is null or c.locked_until <= now())
          and (c.ordering_key is null or not exists (
            select 1 from fedify_messages e
            where e.queue = c.queue and e.ordering_key = c.ordering_key and e.id < c.id
          ))
        order by c.available_at, c.id
        limit 1
        for update skip locked
      )
      returning m.id::text, m.payload::text, m.attempts;
    end
    $$
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop function fedify_claim_message(text, text, double precision)`.execute(db);
  await db.schema.dropTable("fedify_messages").execute();
  await db.schema.dropTable("fedify_kv").execute();
}
