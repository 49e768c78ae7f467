import { type ExpressionBuilder, type Kysely, sql } from "kysely";
import type { Article, Correction } from "../domain/article.ts";
import { type ArticleCursor, decodeCursor, encodeCursor, isUuid } from "../domain/cursor.ts";
import type { ArticleListQuery, ArticleRepository, Page } from "../domain/ports.ts";
import type { ArticleRow, Database } from "./schema.ts";

/** Corrections as the query reads them: JSON, so the time is a string. */
type StoredCorrection = Omit<Correction, "correctedAt"> & { correctedAt: string };
type ArticleRowWithFeeds = ArticleRow & { feeds: string[]; corrections: StoredCorrection[] };

/** Articles in PostgreSQL (or PGlite): one row per article, its feed links in `article_feeds`. */
export function createArticleRepository(db: Kysely<Database>): ArticleRepository {
  const selectArticles = () =>
    db
      .selectFrom("articles")
      .selectAll("articles")
      .select(
        sql<
          string[]
        >`coalesce((select jsonb_agg(af.feed_slug order by af.position) from article_feeds af where af.article_id = articles.id), '[]'::jsonb)`.as(
          "feeds",
        ),
      )
      .select(
        sql<
          StoredCorrection[]
        >`coalesce((select jsonb_agg(jsonb_build_object('id', c.id, 'revision', c.revision, 'note', c.note, 'correctedAt', c.corrected_at) order by c.revision) from article_corrections c where c.article_id = articles.id), '[]'::jsonb)`.as(
          "corrections",
        ),
      );

  /** What readers of a feed see: its published, undeleted articles. */
  const selectPublicInFeed = (slug: string, now: Date) =>
    selectArticles()
      .innerJoin("articleFeeds", "articleFeeds.articleId", "articles.id")
      .where("articleFeeds.feedSlug", "=", slug)
      .where("articleFeeds.publishedAt", "<=", now)
      .where("articles.deletedAt", "is", null);

  /** A feed's archive places: its links published by `now`, deleted articles' too. */
  const archivePlaces = (slug: string, now: Date) =>
    db
      .selectFrom("articleFeeds")
      .where("articleFeeds.feedSlug", "=", slug)
      .where("articleFeeds.publishedAt", "<=", now);

  async function replaceFeedLinks(article: Article): Promise<void> {
    await db.deleteFrom("articleFeeds").where("articleId", "=", article.id).execute();
    if (article.feeds.length === 0) return;
    await db
      .insertInto("articleFeeds")
      .values(
        article.feeds.map((feedSlug, position) => ({
          articleId: article.id,
          feedSlug,
          position,
          publishedAt: article.publishedAt,
        })),
      )
      .execute();
  }

  return {
    async findById(id, options) {
      if (!isUuid(id)) return undefined;
      let query = selectArticles().where("articles.id", "=", id);
      if (options?.forUpdate) query = query.forUpdate();
      const row = await query.executeTakeFirst();
      return row ? toArticle(row) : undefined;
    },

    async findByExternalId(externalId) {
      const row = await selectArticles()
        .where("articles.externalId", "=", externalId)
        .executeTakeFirst();
      return row ? toArticle(row) : undefined;
    },

    async insert(article) {
      const inserted = await db
        .insertInto("articles")
        .values({
          ...toRow(article),
          id: article.id,
          createdAt: article.createdAt,
        })
        .onConflict((oc) => oc.column("externalId").doNothing())
        .returning("id")
        .executeTakeFirst();
      if (!inserted) return false;
      await replaceFeedLinks(article);
      return true;
    },

    async update(article) {
      await db.updateTable("articles").set(toRow(article)).where("id", "=", article.id).execute();
      await replaceFeedLinks(article);
    },

    async recordRevision(article, at) {
      await db
        .insertInto("articleRevisions")
        .values({
          articleId: article.id,
          revision: article.revision,
          snapshot: JSON.stringify(article),
          createdAt: at,
        })
        .execute();
    },

    async recordCorrection(articleId, correction) {
      await db
        .insertInto("articleCorrections")
        .values({
          id: correction.id,
          articleId,
          revision: correction.revision,
          note: correction.note,
          correctedAt: correction.correctedAt,
        })
        .execute();
    },

    async list(query: ArticleListQuery): Promise<Page<Article>> {
      let q = selectArticles();
      if (query.feed !== undefined) {
        const feed = query.feed;
        q = q.where(inFeed(feed));
      }
      if (!query.includeDeleted) q = q.where("articles.deletedAt", "is", null);
      const after = query.cursor ? decodeCursor(query.cursor) : undefined;
      if (after) q = q.where(olderThan("articles.publishedAt", "articles.id", after));
      const rows = await q
        .orderBy("articles.publishedAt", "desc")
        .orderBy("articles.id", "desc")
        .limit(query.limit + 1)
        .execute();
      const items = rows.slice(0, query.limit).map(toArticle);
      const last = items.at(-1);
      const nextCursor = rows.length > query.limit && last ? encodeCursor(last) : null;
      return { items, nextCursor };
    },

    async listPublicInFeed(slug, limit, now, after) {
      let query = selectPublicInFeed(slug, now);
      if (after) {
        query = query.where(olderThan("articleFeeds.publishedAt", "articleFeeds.articleId", after));
      }
      const rows = await query
        .orderBy("articleFeeds.publishedAt", "desc")
        .orderBy("articleFeeds.articleId", "desc")
        .limit(limit)
        .execute();
      return rows.map(toArticle);
    },

    async listPublicWithTag(tagSlug, limit, now) {
      const rows = await selectArticles()
        .where("articles.deletedAt", "is", null)
        .where("articles.publishedAt", "<=", now)
        .where(hasTag(tagSlug))
        .orderBy("articles.publishedAt", "desc")
        .orderBy("articles.id", "desc")
        .limit(limit)
        .execute();
      return rows.map(toArticle);
    },

    async countArchivePlaces(slug, now) {
      const row = await archivePlaces(slug, now)
        .select((eb) => eb.fn.countAll<string>().as("n"))
        .executeTakeFirstOrThrow();
      return Number(row.n);
    },

    async listArchivePage(slug, now, offset, limit) {
      // The places first (an index-only walk of article_feeds), then their articles.
      const places = archivePlaces(slug, now)
        .select(["articleFeeds.articleId", "articleFeeds.publishedAt"])
        .orderBy("articleFeeds.publishedAt", "asc")
        .orderBy("articleFeeds.articleId", "asc")
        .offset(offset)
        .limit(limit)
        .as("place");
      const rows = await selectArticles()
        .innerJoin(places, "place.articleId", "articles.id")
        .where("articles.deletedAt", "is", null)
        .orderBy("place.publishedAt", "desc")
        .orderBy("place.articleId", "desc")
        .execute();
      return rows.map(toArticle);
    },

    async countPublic(now, slug) {
      let query = db
        .selectFrom("articles")
        .select((eb) => eb.fn.countAll<string>().as("n"))
        .where("articles.deletedAt", "is", null)
        .where("articles.publishedAt", "<=", now);
      if (slug !== undefined) {
        query = query.where(inFeed(slug));
      }
      const row = await query.executeTakeFirstOrThrow();
      return Number(row.n);
    },

    async listPinnedInFeed(slug, limit, now) {
      const rows = await selectPublicInFeed(slug, now)
        .where("articles.pinned", "=", true)
        .orderBy("articleFeeds.publishedAt", "desc")
        .limit(limit)
        .execute();
      return rows.map(toArticle);
    },

    async findRevision(id, revision) {
      if (!isUuid(id)) return undefined;
      const row = await db
        .selectFrom("articleRevisions")
        .select("snapshot")
        .where("articleId", "=", id)
        .where("revision", "=", revision)
        .executeTakeFirst();
      return row ? fromSnapshot(row.snapshot) : undefined;
    },

    async nextScheduledWithTag(tagSlug, now) {
      const row = await db
        .selectFrom("articles")
        .select((eb) => eb.fn.min("articles.publishedAt").as("next"))
        .where("articles.deletedAt", "is", null)
        .where("articles.publishedAt", ">", now)
        .where(hasTag(tagSlug))
        .executeTakeFirst();
      return row?.next ? new Date(row.next) : null;
    },

    async endLiveCoverage(slug, at) {
      const ended = await db
        .updateTable("articles")
        .set({ live: false, liveEndedAt: at })
        .where("live", "=", true)
        .where("deletedAt", "is", null)
        .where(inFeed(slug))
        .returning("id")
        .execute();
      if (ended.length === 0) return [];
      const links = await db
        .selectFrom("articleFeeds")
        .select("feedSlug")
        .distinct()
        .where(
          "articleId",
          "in",
          ended.map((row) => row.id),
        )
        .execute();
      return links.map((link) => link.feedSlug);
    },

    async nextScheduledInFeed(slug, now) {
      const row = await db
        .selectFrom("articleFeeds")
        .innerJoin("articles", "articles.id", "articleFeeds.articleId")
        .select((eb) => eb.fn.min("articleFeeds.publishedAt").as("next"))
        .where("articleFeeds.feedSlug", "=", slug)
        .where("articleFeeds.publishedAt", ">", now)
        .where("articles.deletedAt", "is", null)
        .executeTakeFirst();
      return row?.next ? new Date(row.next) : null;
    },
  };
}

/** Articles linked to a feed, as a filter on `articles`. */
function inFeed(slug: string) {
  return (eb: ExpressionBuilder<Database, "articles">) =>
    eb.exists(
      eb
        .selectFrom("articleFeeds")
        .select("articleFeeds.articleId")
        .whereRef("articleFeeds.articleId", "=", "articles.id")
        .where("articleFeeds.feedSlug", "=", slug),
    );
}

/**
 * Articles with a tag, compared as `tagSlug` (domain/urls.ts) spells it: letters, digits and
 * `_` only, lower case.
 */
function hasTag(tagSlug: string) {
  return sql<boolean>`exists (select 1 from jsonb_array_elements_text(articles.tags) as t(tag) where lower(regexp_replace(t.tag, '[^[:alnum:]_]+', '', 'g')) = ${tagSlug})`;
}

/**
 * Keyset pagination: rows that sort after the cursor in (publishedAt desc, id desc) order.
 * A row comparison, so PostgreSQL walks the (published_at, id) index from the cursor on.
 */
/** Rows after `cursor` in a newest-first listing by publication time, then uuid id. */
export function olderThan(publishedAtColumn: string, idColumn: string, cursor: ArticleCursor) {
  return sql<boolean>`(${sql.ref(publishedAtColumn)}, ${sql.ref(idColumn)}) < (${cursor.publishedAt}, ${cursor.id}::uuid)`;
}

/** Revisions are stored as the Article's JSON: dates come back as ISO strings. */
function fromSnapshot(snapshot: unknown): Article {
  const stored = snapshot as Record<string, unknown> & Article;
  const date = (value: unknown) => new Date(value as string);
  return {
    ...stored,
    pinned: stored.pinned ?? false,
    live: stored.live ?? false,
    liveEndedAt: stored.liveEndedAt ? date(stored.liveEndedAt) : null,
    publishedAt: date(stored.publishedAt),
    updatedAt: date(stored.updatedAt),
    createdAt: date(stored.createdAt),
    deletedAt: stored.deletedAt ? date(stored.deletedAt) : null,
    corrections: toCorrections(
      (stored.corrections ?? []) as unknown as readonly StoredCorrection[],
    ),
  };
}

function toCorrections(stored: readonly StoredCorrection[]): Correction[] {
  return stored.map((c) => ({ ...c, correctedAt: new Date(c.correctedAt) }));
}

function toRow(article: Article) {
  return {
    externalId: article.externalId,
    headline: article.headline,
    standfirst: article.standfirst,
    contentWarning: article.contentWarning ?? null,
    bodyHtml: article.bodyHtml,
    authors: JSON.stringify(article.authors),
    image: article.image ? JSON.stringify(article.image) : null,
    tags: JSON.stringify(article.tags),
    language: article.language,
    canonicalUrl: article.canonicalUrl,
    pinned: article.pinned,
    live: article.live,
    liveEndedAt: article.liveEndedAt ?? null,
    publishedAt: article.publishedAt,
    updatedAt: article.updatedAt,
    revision: article.revision,
    deletedAt: article.deletedAt,
  };
}

function toArticle(row: ArticleRowWithFeeds): Article {
  return {
    id: row.id,
    externalId: row.externalId,
    headline: row.headline,
    standfirst: row.standfirst,
    contentWarning: row.contentWarning ?? null,
    bodyHtml: row.bodyHtml,
    authors: row.authors,
    image: row.image ?? null,
    tags: row.tags,
    feeds: row.feeds,
    language: row.language,
    canonicalUrl: row.canonicalUrl,
    pinned: row.pinned,
    live: row.live,
    liveEndedAt: row.liveEndedAt ? new Date(row.liveEndedAt) : null,
    publishedAt: new Date(row.publishedAt),
    updatedAt: new Date(row.updatedAt),
    createdAt: new Date(row.createdAt),
    revision: row.revision,
    deletedAt: row.deletedAt ? new Date(row.deletedAt) : null,
    corrections: toCorrections(row.corrections),
  };
}
