import { DEFAULT_LIMITS } from "../config.ts";
import { type Article, deletedBeforeRelease, isPublic } from "../domain/article.ts";
import type { ArticleService } from "../domain/article-service.ts";
import type { FeedService } from "../domain/feed-service.ts";
import type { Clock } from "../domain/ports.ts";
import type { Views } from "../storage/stores.ts";
import type { ServingPolicy } from "../syndication/document-answer.ts";
import {
  documentBytes,
  type EncodedDocument,
  encodeDocument,
} from "../syndication/encoded-document.ts";
import { type Built, SharedBuildCache } from "../syndication/shared-build-cache.ts";
import { ArticlePage } from "../web/article-page.tsx";
import { renderPage } from "../web/layout.tsx";
import { liveStreamEtag } from "./live-stream.routes.ts";
import { PAGE_SECURITY_HEADERS } from "./negotiation.ts";

/** What `GET /articles/ID` answers, as built once per state of the article. */
export type ArticlePageState =
  | {
      readonly kind: "page";
      /** The home feed, whose ActivityPub object ActivityPub clients are sent to. */
      readonly home: string | undefined;
      readonly document: EncodedDocument;
    }
  /** Deleted after it was published: 410 (and its Tombstone for ActivityPub clients). */
  | { readonly kind: "gone"; readonly home: string | undefined }
  /** Unknown, or not public yet (embargoed, or deleted before its time): 404. */
  | { readonly kind: "missing" };

/** How an article page is sent: the pages' policy, one minute in shared caches. */
export const ARTICLE_PAGE_SERVING: ServingPolicy = {
  cacheControl: "public, max-age=60",
  vary: "Accept, Accept-Encoding",
  securityHeaders: PAGE_SECURITY_HEADERS,
};

/**
 * How long a page's likes, boosts and replies may lag behind the database. An interaction this
 * process receives drops the page at once (FederationData.onInteraction), and so does a reply
 * hidden or a block here; but the inbox may run in another process (the delivery workers), which
 * announces nothing of it. So a page is also read and rendered again at least this often; its
 * strong ETag, a hash of the bytes, stays put when nothing it shows changed. Well inside the
 * minute that readers' and shared caches keep a page anyway.
 */
export const REACTIONS_MAX_AGE_MS = 10_000;

/** What reader pages are read from: this cache's, and the other pages' (pages.routes.ts). */
export interface PageSources {
  readonly articles: ArticleService;
  readonly feeds: FeedService;
  readonly clock: Clock;
  readonly publicUrl: string;
  /** The newsroom's name, shown in every page's header. */
  readonly siteName: string;
  /** Counts, replies, paging, follower counts; without them pages show the newest stories only. */
  readonly views?: Views | undefined;
}

/** Where an article page's content comes from. */
export interface ArticlePageSources extends PageSources {
  /** How often an open live page polls its updates (LIVE_POLL_SECONDS). */
  readonly pollSeconds: number;
}

export interface ArticlePageCacheOptions {
  /** Longest a build is reused (as FeedDocumentCacheDeps.maxAgeMs; 0 on Workers). */
  readonly maxAgeMs?: number | undefined;
  /** Memory for pages, every coding (ARTICLE_PAGE_CACHE_MAX_BYTES). */
  readonly maxBytes?: number | undefined;
  /** Keep gzip and brotli copies (default true; off behind a CDN that compresses). */
  readonly precompress?: boolean | undefined;
  /** Told of every render (tests count them; a stampede must cause one). */
  readonly onRender?: ((articleId: string) => void) | undefined;
}

/**
 * Published, or deleted after it was: an embargoed story (or one deleted before its time)
 * is unknown to readers, 404 like a mistyped id, never 410.
 */
export function seenByReaders(article: Article, now: Date): boolean {
  if (article.deletedAt) return !deletedBeforeRelease(article);
  return isPublic(article, now);
}

const MISSING: Built<ArticlePageState> = { value: { kind: "missing" }, expiresAt: 0 };

/**
 * Article pages, rendered once per state of the article and served from memory with their
 * ETag and compressed copies, as feeds are: every server that receives a Create fetches the page
 * for its preview card within seconds, and concurrent misses share one read and render.
 *
 * A page is tagged with its article's feeds and dropped by any change to one of them: every
 * write of the article, its live updates or its feeds names them (here, or announced by another
 * process). Interactions and moderation drop it by its id. It also ends by itself at its next
 * scheduled live update and after REACTIONS_MAX_AGE_MS. An article readers cannot see yet is never kept, so a 404 cannot outlive
 * the embargo; nor is an unknown id, so made-up ids cannot fill the memory.
 */
export class ArticlePageCache {
  readonly #pages: SharedBuildCache<ArticlePageState>;
  readonly #sources: ArticlePageSources;
  readonly #options: ArticlePageCacheOptions;

  constructor(sources: ArticlePageSources, options: ArticlePageCacheOptions = {}) {
    this.#sources = sources;
    this.#options = options;
    this.#pages = new SharedBuildCache({
      build: (id) => this.#build(id),
      now: () => sources.clock.now().getTime(),
      maxBytes: options.maxBytes ?? DEFAULT_LIMITS.articlePageCacheMaxBytes,
    });
  }

  /** The warm path: the state without any await, or undefined when it must be built. */
  peek(articleId: string): ArticlePageState | undefined {
    return this.#pages.peek(articleId);
  }

  /** The page being built right now (after a publish), or undefined: no build is started. */
  building(articleId: string): Promise<ArticlePageState> | undefined {
    return this.#pages.building(articleId);
  }

  get(articleId: string): Promise<ArticlePageState> {
    return this.#pages.get(articleId);
  }

  /**
   * Builds the page in the background (after a publish): the Create's recipients fetch it within
   * seconds, and find it ready. A failure is left for the next read to meet and report.
   */
  warm(articleId: string): void {
    // Nothing would be kept (Workers), and there the database is the invocation's, not ours.
    if (this.#options.maxAgeMs === 0) return;
    this.#pages.get(articleId).catch(() => {});
  }

  /** After a change to these feeds or anything in them (here or in another process). */
  invalidateFeeds(slugs: readonly string[]): void {
    this.#pages.invalidateTags(slugs);
  }

  /** After a change only this article's page shows (a like, a reply, a reply hidden). */
  invalidateArticle(articleId: string): void {
    this.#pages.invalidateKeys([articleId]);
  }

  /** After a change that may touch any page (a block removes replies everywhere). */
  invalidateAll(): void {
    this.#pages.invalidateAll();
  }

  /** Pages held and their bytes (for tests and diagnostics). */
  get size(): number {
    return this.#pages.size;
  }

  get bytes(): number {
    return this.#pages.bytes;
  }

  async #build(id: string): Promise<Built<ArticlePageState>> {
    const { articles, feeds, views, clock } = this.#sources;
    const now = clock.now();
    const found = await articles.get(id);
    if (!found.ok || !seenByReaders(found.value, now)) return MISSING;
    const article = found.value;
    const home = article.feeds[0];
    const maxAgeMs = this.#options.maxAgeMs ?? Number.POSITIVE_INFINITY;
    const until = (...limits: number[]) => Math.min(now.getTime() + maxAgeMs, ...limits);
    if (article.deletedAt) {
      return { value: { kind: "gone", home }, expiresAt: until(), tags: article.feeds };
    }
    const [pageFeeds, reactions, updates, nextUpdate] = await Promise.all([
      Promise.all(article.feeds.map((slug) => feeds.get(slug))),
      views ? views.articlePage.reactions(article.id) : null,
      views?.liveStream.published(article.id, now),
      views?.liveStream.nextScheduled(article.id, now),
    ]);
    const stream = updates && {
      updates,
      etag: await liveStreamEtag(article, updates),
      pollSeconds: this.#sources.pollSeconds,
    };
    const html = await renderPage(
      ArticlePage({
        article,
        feeds: pageFeeds.flatMap((feed) => (feed.ok ? [feed.value] : [])),
        reactions,
        stream,
        now,
        historyLinked: views !== undefined,
        publicUrl: this.#sources.publicUrl,
        siteName: this.#sources.siteName,
      }),
    );
    this.#options.onRender?.(article.id);
    const document = await encodeDocument(html, "text/html; charset=UTF-8", now, {
      precompress: this.#options.precompress ?? true,
    });
    return {
      value: { kind: "page", home, document },
      expiresAt: until(
        nextUpdate?.getTime() ?? Number.POSITIVE_INFINITY,
        reactions ? now.getTime() + REACTIONS_MAX_AGE_MS : Number.POSITIVE_INFINITY,
      ),
      tags: article.feeds,
      bytes: documentBytes(document),
    };
  }
}
