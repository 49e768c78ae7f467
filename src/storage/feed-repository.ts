import type { Kysely } from "kysely";
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
