import { type Kysely, sql } from "kysely";

/**
 * Claims in batches: one round trip acknowledges the messages a consumer finished and leases up
 * to `p_limit` new ones (see src/storage/fedify-queue-consumer.ts). The single-message
 * `fedify_claim_message` of 0002 stays for consumers of older code during a rolling deploy.
 */
export async function up(db: Kysely<any>): Promise<void> {
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
    returns table (message_id text, message_payload text, message_attempts integer)
    language plpgsql
    set enable_seqscan = off
    set enable_bitmapscan = off
    set enable_sort = off
    as $$
    begin
      if cardinality(p_ack_ids) > 0 then
        delete from fedify_messages d
        using unnest(p_ack_ids, p_ack_attempts) as a (id, attempts)
        where d.id = a.id and d.attempts = a.attempts and d.locked_by = p_worker;
      end if;
      if p_limit < 1 then
        return;
      end if;
      return query
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
      returning m.id::text, m.payload::text, m.attempts;
    end
    $$
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    drop function fedify_claim_messages(text, text, double precision, integer, bigint[], integer[])
  `.execute(db);
}
