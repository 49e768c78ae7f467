import type { Kysely } from "kysely";
import type { LiveUpdate } from "../domain/article.ts";
import { isUuid } from "../domain/cursor.ts";
import type { LiveUpdateRepository } from "../domain/ports.ts";
import { olderThan } from "./article-repository.ts";
import type { Database, LiveUpdateRow } from "./schema.ts";

/** Live updates in PostgreSQL (or PGlite): one row per update, tombstones kept. */
export function createLiveUpdateRepository(db: Kysely<Database>): LiveUpdateRepository {
  return {
    async findById(articleId, id, options) {
      if (!isUuid(id) || !isUuid(articleId)) return undefined;
      let query = db
        .selectFrom("liveUpdates")
        .selectAll()
        .where("id", "=", id)
        .where("articleId", "=", articleId);
      if (options?.forUpdate) query = query.forUpdate();
      const row = await query.executeTakeFirst();
      return row ? toLiveUpdate(row) : undefined;
    },

    async findByExternalId(articleId, externalId) {
      if (!isUuid(articleId)) return undefined;
      const row = await db
        .selectFrom("liveUpdates")
        .selectAll()
        .where("articleId", "=", articleId)
        .where("externalId", "=", externalId)
        .executeTakeFirst();
      return row ? toLiveUpdate(row) : undefined;
    },

    async insert(update) {
      const inserted = await db
        .insertInto("liveUpdates")
        .values({ ...toRow(update), id: update.id, createdAt: update.createdAt })
        .onConflict((oc) =>
          oc.columns(["articleId", "externalId"]).where("externalId", "is not", null).doNothing(),
        )
        .returning("id")
        .executeTakeFirst();
      return inserted !== undefined;
    },

    async update(update) {
      await db.updateTable("liveUpdates").set(toRow(update)).where("id", "=", update.id).execute();
    },

    async listForArticle(articleId, options) {
      if (!isUuid(articleId)) return [];
      let query = db.selectFrom("liveUpdates").selectAll().where("articleId", "=", articleId);
      if (!options.includeDeleted) query = query.where("deletedAt", "is", null);
      if (options.publicAt) query = query.where("publishedAt", "<=", options.publicAt);
      const rows = await query
        .orderBy("publishedAt", "desc")
        .orderBy("id", "desc")
        .limit(options.limit)
        .execute();
      return rows.map(toLiveUpdate);
    },

    async listPublicInFeed(slug, limit, now, after) {
      let query = publicInFeed(slug, now).selectAll("liveUpdates");
      if (after) query = query.where(olderThan("liveUpdates.publishedAt", "liveUpdates.id", after));
      const rows = await query
        .orderBy("liveUpdates.publishedAt", "desc")
        .orderBy("liveUpdates.id", "desc")
        .limit(limit)
        .execute();
      return rows.map(toLiveUpdate);
    },

    async countPublicInFeed(slug, now) {
      const row = await publicInFeed(slug, now)
        .select((eb) => eb.fn.countAll<string>().as("n"))
        .executeTakeFirstOrThrow();
      return Number(row.n);
    },

    async listPublicForArticles(articleIds, limit, now) {
      const ids = articleIds.filter(isUuid);
      if (ids.length === 0) return [];
      const rows = await publicUpdates(now)
        .where("articles.publishedAt", "<=", now)
        .where("liveUpdates.articleId", "in", ids)
        .orderBy("liveUpdates.publishedAt", "desc")
        .orderBy("liveUpdates.id", "desc")
        .limit(limit)
        .execute();
      return rows.map(toLiveUpdate);
    },

    async nextScheduledForArticles(articleIds, now) {
      const ids = articleIds.filter(isUuid);
      if (ids.length === 0) return null;
      const row = await db
        .selectFrom("liveUpdates")
        .select((eb) => eb.fn.min("publishedAt").as("next"))
        .where("articleId", "in", ids)
        .where("publishedAt", ">", now)
        .where("deletedAt", "is", null)
        .executeTakeFirst();
      return row?.next ? new Date(row.next) : null;
    },

    async nextScheduledInFeed(slug, now) {
      const row = await db
        .selectFrom("liveUpdates")
        .innerJoin("articles", "articles.id", "liveUpdates.articleId")
        .innerJoin("articleFeeds", "articleFeeds.articleId", "liveUpdates.articleId")
        .select((eb) => eb.fn.min("liveUpdates.publishedAt").as("next"))
        .where("articleFeeds.feedSlug", "=", slug)
        .where("liveUpdates.publishedAt", ">", now)
        .where("liveUpdates.deletedAt", "is", null)
        .where("articles.deletedAt", "is", null)
        .executeTakeFirst();
      return row?.next ? new Date(row.next) : null;
    },
  };

  /** Updates readers may see: published, not deleted, on an undeleted article. */
  function publicUpdates(now: Date) {
    return publicUpdateRows(now).selectAll("liveUpdates");
  }

  function publicUpdateRows(now: Date) {
    return db
      .selectFrom("liveUpdates")
      .innerJoin("articles", "articles.id", "liveUpdates.articleId")
      .where("liveUpdates.deletedAt", "is", null)
      .where("liveUpdates.publishedAt", "<=", now)
      .where("articles.deletedAt", "is", null);
  }

  /** ...in a feed, on an article public there. */
  function publicInFeed(slug: string, now: Date) {
    return publicUpdateRows(now)
      .innerJoin("articleFeeds", "articleFeeds.articleId", "liveUpdates.articleId")
      .where("articleFeeds.feedSlug", "=", slug)
      .where("articleFeeds.publishedAt", "<=", now);
  }
}

function toRow(update: LiveUpdate) {
  return {
    articleId: update.articleId,
    externalId: update.externalId,
    headline: update.headline,
    bodyHtml: update.bodyHtml,
    authors: JSON.stringify(update.authors),
    image: update.image ? JSON.stringify(update.image) : null,
    publishedAt: update.publishedAt,
    updatedAt: update.updatedAt,
    revision: update.revision,
    deletedAt: update.deletedAt,
  };
}

function toLiveUpdate(row: LiveUpdateRow): LiveUpdate {
  return {
    id: row.id,
    articleId: row.articleId,
    externalId: row.externalId,
    headline: row.headline,
    bodyHtml: row.bodyHtml,
    authors: row.authors,
    image: row.image ?? null,
    publishedAt: new Date(row.publishedAt),
    updatedAt: new Date(row.updatedAt),
    createdAt: new Date(row.createdAt),
    revision: row.revision,
    deletedAt: row.deletedAt ? new Date(row.deletedAt) : null,
  };
}
