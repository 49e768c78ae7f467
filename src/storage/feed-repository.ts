import { type Kysely, sql } from "kysely";
import type { Feed } from "../domain/feed.ts";
import type { FeedRepository } from "../domain/ports.ts";
import type { Database, FeedRow } from "./schema.ts";

export function createFeedRepository(db: Kysely<Database>): FeedRepository {
  return {
    async find(slug, options) {
      let query = db.selectFrom("feeds").selectAll().where("slug", "=", slug);
      if (options?.forUpdate) query = query.forUpdate();
      const row = await query.executeTakeFirst();
      return row ? toFeed(row) : undefined;
    },

    async findMany(slugs) {
      if (slugs.length === 0) return [];
      const rows = await db
        .selectFrom("feeds")
        .selectAll()
        .where("slug", "in", [...slugs])
        .execute();
      return rows.map(toFeed);
    },

    async list() {
      const rows = await db.selectFrom("feeds").selectAll().orderBy("slug").execute();
      return rows.map(toFeed);
    },

    async insert(feed, at) {
      const inserted = await db
        .insertInto("feeds")
        .values({
          ...feed,
          definitionHash: null,
          closedAt: feed.status === "closed" ? at : null,
          createdAt: at,
          updatedAt: at,
        })
        .onConflict((oc) => oc.column("slug").doNothing())
        .returning("slug")
        .executeTakeFirst();
      return inserted !== undefined;
    },

    async update(slug, changes, at) {
      const row = await db
        .updateTable("feeds")
        .set({ ...changes, updatedAt: at })
        .where("slug", "=", slug)
        .returningAll()
        .executeTakeFirst();
      return row ? toFeed(row) : undefined;
    },

    async findAlias(slug) {
      const row = await db
        .selectFrom("feedAliases")
        .select(["slug", "feedSlug", "renamedAt"])
        .where("slug", "=", slug)
        .executeTakeFirst();
      return row ? { ...row, renamedAt: new Date(row.renamedAt) } : undefined;
    },

    async aliasesOf(feedSlug) {
      const rows = await db
        .selectFrom("feedAliases")
        .select("slug")
        .where("feedSlug", "=", feedSlug)
        .orderBy("renamedAt")
        .orderBy("slug")
        .execute();
      return rows.map((row) => row.slug);
    },

    async rename(from, to, at) {
      // Renaming back (a -> b -> a): `to` is this feed's own alias, and a feed again.
      await db.deleteFrom("feedAliases").where("slug", "=", to).execute();
      // Written before the feed moves, naming `from`: the cascade below carries it to `to`.
      await db
        .insertInto("feedAliases")
        .values({
          slug: from,
          feedSlug: from,
          renamedAt: at,
          keyPairs: sql<string>`(select coalesce(jsonb_agg(jsonb_build_object(
              'algorithm', algorithm, 'publicJwk', public_jwk, 'privateJwk', private_jwk)
              order by algorithm desc), '[]'::jsonb)
            from feed_keys where feed_slug = ${from})`,
        })
        .execute();
      // Every table that belongs to the feed references feeds.slug with on update cascade:
      // articles' links, keys, followers, outbox, quotes and the aliases move with it.
      const row = await db
        .updateTable("feeds")
        .set({ slug: to, updatedAt: at })
        .where("slug", "=", from)
        .returningAll()
        .executeTakeFirstOrThrow();
      // WebSub keeps slugs without a foreign key: its subscribers now get the new documents.
      await db
        .updateTable("websubSubscriptions")
        .set({
          feedSlug: to,
          topic: sql<string>`replace(topic, ${`/feeds/${from}.`}, ${`/feeds/${to}.`})`,
        })
        .where("feedSlug", "=", from)
        .execute();
      await db
        .updateTable("websubFeedVersions")
        .set({ feedSlug: to })
        .where("feedSlug", "=", from)
        .execute();
      return toFeed(row);
    },
  };
}

export function toFeed(row: FeedRow): Feed {
  return {
    slug: row.slug,
    kind: row.kind,
    title: row.title,
    description: row.description,
    language: row.language,
    status: row.status,
    iconUrl: row.iconUrl,
    imageUrl: row.imageUrl,
    actorType: row.actorType,
    objectType: row.objectType,
    quotePolicy: row.quotePolicy,
    closedAt: row.closedAt ? new Date(row.closedAt) : null,
    createdAt: new Date(row.createdAt),
    updatedAt: new Date(row.updatedAt),
  };
}
