/** Many articles in a feed at once, for archive tests: one transaction through the repository. */
import type { Kysely } from "kysely";
import type { Article } from "../../src/domain/article.ts";
import { uuidv7 } from "../../src/domain/ids.ts";
import { articleUrl } from "../../src/domain/urls.ts";
import type { Database } from "../../src/storage/schema.ts";
import { createStores } from "../../src/storage/stores.ts";

/**
 * `count` public articles in `slug`, headlines `Story 1` .. `Story N`, published two a minute
 * from `start` (pairs share a time, so the id decides their order, as in the feed queries).
 * Returns them newest first: the order of the feed documents and of a walk down the archive.
 */
export async function seedArticles(
  db: Kysely<Database>,
  slug: string,
  count: number,
  start: Date,
): Promise<Article[]> {
  const articles: Article[] = [];
  for (let n = 1; n <= count; n++) {
    const publishedAt = new Date(start.getTime() + Math.floor((n - 1) / 2) * 60_000);
    articles.push({
      id: uuidv7(publishedAt),
      externalId: `seed-${slug}-${start.getTime()}-${n}`,
      headline: `Story ${n}`,
      standfirst: `The standfirst of story ${n}.`,
      bodyHtml: `<p>The body of story ${n}.</p>`,
      authors: [{ name: "Desk" }],
      image: null,
      tags: [],
      feeds: [slug],
      language: "en",
      canonicalUrl: null,
      pinned: false,
      live: false,
      publishedAt,
      updatedAt: publishedAt,
      createdAt: publishedAt,
      revision: 1,
      deletedAt: null,
    });
  }
  await createStores(db).transactions.transaction(async (repos) => {
    for (const article of articles) await repos.articles.insert(article);
  });
  return newestFirst(articles);
}

/** By publication time, then id, newest first (the feeds' order). */
export function newestFirst(articles: readonly Article[]): Article[] {
  return [...articles].sort(
    (a, b) =>
      b.publishedAt.getTime() - a.publishedAt.getTime() || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0),
  );
}

/** The ids readers see for articles: their URLs on the site. */
export function itemIds(publicUrl: string, articles: readonly Article[]): string[] {
  return articles.map((article) => articleUrl(publicUrl, article.id));
}
