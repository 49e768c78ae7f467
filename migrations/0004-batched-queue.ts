import { type Kysely, sql } from "kysely";

/**
 * Claims in batches: one round trip acknowledges the messages a consumer finished and leases up
 * to `p_limit` new ones (see src/fedify-kysely/queue-consumer.ts). The single-message
 * `fedify_claim_message` of 0002 is no longer called (it knows nothing of shared parts, so stop
 * consumers of older code before this runs).
 *
 * Shared parts: the messages of one fan-out carry the same activity and signing keys (7–8 kB of
 * each ~8 kB message). Enqueued together, those parts are stored once in `fedify_message_shares`
 * and referenced by `share_id`; a 1,000-inbox fan-out then writes ~0.5 MB instead of ~8 MB.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("fedify_message_shares")
    .addColumn("id", "bigint", (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn("value", "jsonb", (c) => c.notNull())
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  // No foreign key: a share is deleted only once no message refers to it (checked by the
  // acknowledging claim below, and by a sweep for the few that races leave behind).
  await db.schema.alterTable("fedify_messages").addColumn("share_id", "bigint").execute();
  await db.schema
    .createIndex("fedify_messages_share_idx")
    .on("fedify_messages")
    .column("share_id")
    .where(sql.ref("share_id"), "is not", null)
    .execute();

  // Same planner settings and claim rules as fedify_claim_message (0002), for the same reasons.
  // The acknowledgement runs first, as its own statement: PL/pgSQL takes a new snapshot for the
  // claim, so a message that was waiting behind an acknowledged one (same ordering key) is
  // claimable in this very call. `= any(array(...))` keeps the ordered, limited index scan
  // as the inner plan instead of letting the planner turn it into a join.
  await sql`
    create function fedify_claim_messages(
      p_queue text,
      p_worker text,
      p_lease_ms double precision,
      p_limit integer,
      p_ack_ids bigint[],
      p_ack_attempts integer[]
    )
    returns table (
      message_id text, message_payload text, message_attempts integer, message_share text
    )
    language plpgsql
    set enable_seqscan = off
    set enable_bitmapscan = off
    set enable_sort = off
    as $$
    declare
      v_shares bigint[];
    begin
      if cardinality(p_ack_ids) > 0 then
        with acknowledged as (
          delete from fedify_messages d
          using unnest(p_ack_ids, p_ack_attempts) as a (id, attempts)
          where d.id = a.id and d.attempts = a.attempts and d.locked_by = p_worker
          returning d.share_id
        )
        select array_agg(distinct share_id) into v_shares
        from acknowledged where share_id is not null;
        -- A separate statement, so it sees the deletion above.
        if v_shares is not null then
          delete from fedify_message_shares s
          where s.id = any (v_shares)
            and not exists (select 1 from fedify_messages m where m.share_id = s.id);
        end if;
      end if;
      if p_limit < 1 then
        return;
      end if;
      return query
      with claimed as (
      update fedify_messages m
      set locked_by = p_worker,
          locked_until = now() + p_lease_ms * interval '1 millisecond',
          available_at = now() + p_lease_ms * interval '1 millisecond',
          attempts = m.attempts + 1
      where m.id = any (array(
        select c.id from fedify_messages c
        where c.queue = p_queue
          and c.available_at <= now()
          and (c.locked_until is null or c.locked_until <= now())
          and (c.ordering_key is null or not exists (
            select 1 from fedify_messages e
            where e.queue = c.queue and e.ordering_key = c.ordering_key and e.id < c.id
          ))
        order by c.available_at, c.id
        limit p_limit
        for update skip locked
      ))
      returning m.id, m.payload, m.attempts, m.share_id
      )
      select c.id::text, c.payload::text, c.attempts, s.value::text
      from claimed c left join fedify_message_shares s on s.id = c.share_id;
    end
    $$
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    drop function fedify_claim_messages(text, text, double precision, integer, bigint[], integer[])
  `.execute(db);
  await db.schema.alterTable("fedify_messages").dropColumn("share_id").execute();
  await db.schema.dropTable("fedify_message_shares").execute();
}
