import { type Kysely, sql } from "kysely";

/**
 * Renames that keep followers (issue 13.6, docs/adr/0006-feed-renames.md). A feed's old slug is
 * kept in `feed_aliases`, pointing at the feed it became: its actor still answers (with
 * `movedTo`), its URLs redirect, and nobody else may take it. `feed_slug` follows the feed
 * through later renames (on update cascade), so a chain a -> b -> c leaves a and b both
 * pointing at c. The old actor's key pairs are copied into the alias at the rename, so the
 * `Move` and the old actor document stay signed and verifiable with the key servers cached.
 *
 * The outbox gains kind `move`: its `feed_slug` is the new slug (whose followers receive it),
 * `moved_from` the old one (the Move's actor and signer).
 *
 * Frozen in time: Kysely<any>, never the app's current schema types.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("feed_aliases")
    .addColumn("slug", "text", (c) => c.primaryKey())
    .addColumn("feed_slug", "text", (c) =>
      c.notNull().references("feeds.slug").onDelete("cascade").onUpdate("cascade"),
    )
    .addColumn("renamed_at", "timestamptz", (c) => c.notNull())
    // [{ algorithm, publicJwk, privateJwk }] as feed_keys held them for the old slug.
    .addColumn("key_pairs", "jsonb", (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex("feed_aliases_feed_idx")
    .on("feed_aliases")
    .column("feed_slug")
    .execute();

  await db.schema.alterTable("federation_outbox").addColumn("moved_from", "text").execute();
  await sql`alter table federation_outbox drop constraint federation_outbox_kind_check`.execute(db);
  await sql`alter table federation_outbox add constraint federation_outbox_kind_check
    check (kind in ('create', 'update', 'delete', 'update-actor', 'move'))`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.deleteFrom("federation_outbox").where("kind", "=", "move").execute();
  await sql`alter table federation_outbox drop constraint federation_outbox_kind_check`.execute(db);
  await sql`alter table federation_outbox add constraint federation_outbox_kind_check
    check (kind in ('create', 'update', 'delete', 'update-actor'))`.execute(db);
  await db.schema.alterTable("federation_outbox").dropColumn("moved_from").execute();
  await db.schema.dropTable("feed_aliases").execute();
}
