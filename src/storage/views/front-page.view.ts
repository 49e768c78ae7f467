import { sql } from "kysely";
import type { Feed } from "../../domain/feed.ts";
import type { Db } from "../database.ts";
import { toFeed } from "../feed-repository.ts";
import type { FeedRow } from "../schema.ts";

/** One headline in a feed's short list on the front page. */
export interface Headline {
  readonly id: string;
  readonly headline: string;
  readonly publishedAt: Date;
}

export interface FrontPageFeed {
  readonly feed: Feed;
  readonly latest: readonly Headline[];
}

/** One page of the front page: feeds in reading order, each with its newest headlines. */
export interface FrontPage {
  readonly feeds: readonly FrontPageFeed[];
  /** 1-based. */
  readonly page: number;
  readonly pageCount: number;
  /** When the page changes by itself: the next embargoed headline of its feeds goes public. */
  readonly validUntil?: Date | null | undefined;
}

/**
 * The front page (`/`), read in two queries whatever the number of feeds: one page of feeds
 * (sections, then open stories, then closed ones, each by title), then the newest public
 * headlines of just those feeds (a lateral join that walks each feed's (slug, published_at)
 * index for its first few rows).
 */
export function createFrontPageView(db: Db) {
  return {
    async page(
      page: number,
      size: { readonly feedsPerPage: number; readonly headlinesPerFeed: number },
      now: Date,
    ): Promise<FrontPage> {
      const { feedsPerPage, headlinesPerFeed } = size;
      const { rows: feedRows } = await sql<FeedRow & { total: string }>`
        select *, count(*) over () as total
        from feeds
        order by case when status = 'closed' then 2 when kind = 'section' then 0 else 1 end,
                 lower(title), slug
        limit ${feedsPerPage} offset ${(page - 1) * feedsPerPage}`.execute(db);
      const total = Number(feedRows[0]?.total ?? 0);
      const pageCount = Math.max(1, Math.ceil(total / feedsPerPage));
      if (feedRows.length === 0) return { feeds: [], page, pageCount };

      const slugs = feedRows.map((row) => row.slug);
      const { rows: headlineRows } = await sql<{
        feedSlug: string;
        id: string;
        headline: string;
        publishedAt: Date | string;
      }>`
        select f.slug as feed_slug, latest.id, latest.headline, latest.published_at
        from unnest(${slugs}::text[]) as f(slug)
        cross join lateral (
          select a.id, a.headline, af.published_at
          from article_feeds af
          join articles a on a.id = af.article_id
          where af.feed_slug = f.slug
            and af.published_at <= ${now}
            and a.deleted_at is null
          order by af.published_at desc, af.article_id desc
          limit ${headlinesPerFeed}
        ) as latest`.execute(db);
      const bySlug = new Map<string, Headline[]>();
      for (const row of headlineRows) {
        const list = bySlug.get(row.feedSlug) ?? [];
        list.push({ id: row.id, headline: row.headline, publishedAt: new Date(row.publishedAt) });
        bySlug.set(row.feedSlug, list);
      }
      const { rows: scheduled } = await sql<{ next: Date | string | null }>`
        select min(af.published_at) as next
        from article_feeds af
        join articles a on a.id = af.article_id
        where af.feed_slug = any(${slugs}::text[])
          and af.published_at > ${now}
          and a.deleted_at is null`.execute(db);
      const next = scheduled[0]?.next;
      return {
        feeds: feedRows.map((row) => ({ feed: toFeed(row), latest: bySlug.get(row.slug) ?? [] })),
        page,
        pageCount,
        validUntil: next ? new Date(next) : null,
      };
    },
  };
}

export type FrontPageView = ReturnType<typeof createFrontPageView>;
