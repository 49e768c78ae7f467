import {
  Article as ArticleObject,
  Create,
  Delete,
  Hashtag,
  Image,
  LanguageString,
  Note,
  PUBLIC_COLLECTION,
  Tombstone,
  Update,
} from "@fedify/vocab";
import { Temporal } from "@js-temporal/polyfill";
import type { Article, LeadImage, LiveUpdate } from "../domain/article.ts";
import type { Feed } from "../domain/feed.ts";
import { articleUrl, liveUpdateUrl, tagPageUrl } from "../domain/urls.ts";
import {
  correctionsHtml,
  escapeHtml,
  escapeHtmlAttribute,
  leadImageFigure,
} from "../syndication/html.ts";
import { imageMediaType } from "../syndication/media-type.ts";
import {
  activityUri,
  liveUpdateActivityUri,
  liveUpdateObjectUri,
  objectUri,
  repliesUri,
  threadContextUri,
} from "./paths.ts";
import { toInteractionPolicy } from "./quote-objects.ts";

/** What the mappers need to know about where things live. */
export interface ObjectContext {
  readonly publicUrl: string;
  readonly actorUri: URL;
  readonly followersUri: URL;
}

export const instant = (date: Date) => Temporal.Instant.fromEpochMilliseconds(date.getTime());

/** `United States` -> `#UnitedStates`: what Mastodon links and searches. */
export function hashtagName(tag: string): string {
  const words = tag.split(/[^\p{L}\p{N}_]+/u).filter(Boolean);
  return `#${words.map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join("")}`;
}

function hashtags(article: Article, publicUrl: string): Hashtag[] {
  return article.tags
    .map((tag) => hashtagName(tag))
    .filter((name) => name.length > 1)
    .map(
      (name) =>
        new Hashtag({
          name,
          href: new URL(tagPageUrl(publicUrl, name)),
        }),
    );
}

function hashtagLinks(tags: readonly Hashtag[]): string {
  if (tags.length === 0) return "";
  const links = tags.map(
    (tag) =>
      `<a href="${escapeHtmlAttribute(tag.href?.href ?? "")}" class="mention hashtag" rel="tag">#<span>${escapeHtml((tag.name?.toString() ?? "").slice(1))}</span></a>`,
  );
  return `<p>${links.join(" ")}</p>`;
}

/**
 * The short post Mastodon shows: headline, standfirst, a link to the story, hashtags.
 * The link goes to the publisher's own page when there is one.
 */
export function noteContent(article: Article, publicUrl: string, tags: readonly Hashtag[]): string {
  const link = article.canonicalUrl ?? articleUrl(publicUrl, article.id);
  return [
    `<p><strong>${escapeHtml(article.headline)}</strong></p>`,
    article.standfirst ? `<p>${escapeHtml(article.standfirst)}</p>` : "",
    `<p><a href="${escapeHtmlAttribute(link)}">${escapeHtml(link)}</a></p>`,
    hashtagLinks(tags),
  ].join("");
}

function leadImage(article: Article): Image | null {
  return imageAttachment(article.image, article);
}

function imageAttachment(image: LeadImage | null, article: Article): Image | null {
  if (!image) return null;
  return new Image({
    url: new URL(image.url),
    mediaType: imageMediaType(image.url),
    name: image.alt,
    // Behind the warning too (Mastodon blurs media of a sensitive post; others read this).
    sensitive: article.contentWarning ? true : null,
  });
}

/** database -> fediverse: the article as this feed's followers see it (Note or Article). */
export function toObject(article: Article, feed: Feed, ctx: ObjectContext): Note | ArticleObject {
  const tags = hashtags(article, ctx.publicUrl);
  const common = {
    id: objectUri(ctx.publicUrl, feed.slug, article.id),
    ...inThread(article, feed, ctx),
    replies: repliesUri(ctx.publicUrl, feed.slug, article.id),
    attribution: ctx.actorUri,
    to: PUBLIC_COLLECTION,
    cc: ctx.followersUri,
    url: new URL(articleUrl(ctx.publicUrl, article.id)),
    published: instant(article.publishedAt),
    updated: article.revision > 1 ? instant(article.updatedAt) : null,
    tags,
    interactionPolicy: toInteractionPolicy(feed, ctx),
    sensitive: Boolean(article.contentWarning),
  };
  // A content warning is the post's `summary`: Mastodon shows it and hides the rest behind it.
  const warning = article.contentWarning ? escapeHtml(article.contentWarning) : null;
  if (feed.objectType === "Article") {
    const figure = article.image
      ? leadImageFigure({
          ...article.image,
          caption: article.image.caption ?? null,
          credit: article.image.credit ?? null,
        })
      : "";
    // Corrections first, as in the feeds: whoever saw the story before sees what changed.
    const content = correctionsHtml(article.corrections) + figure + article.bodyHtml;
    return new ArticleObject({
      ...common,
      name: article.headline,
      summary: warning ?? (article.standfirst ? escapeHtml(article.standfirst) : null),
      // A plain `content` plus `contentMap` keyed by the article's language.
      contents: [content, new LanguageString(content, article.language)],
      image: leadImage(article),
      // FEP-b2b8: what servers that show only short posts show instead (Mastodon shows an
      // Article as title, summary and link; others take this Note).
      preview: previewNote(article, ctx, tags),
    });
  }
  const content = correctionsHtml(article.corrections) + noteContent(article, ctx.publicUrl, tags);
  const image = leadImage(article);
  return new Note({
    ...common,
    summary: warning,
    contents: [content, new LanguageString(content, article.language)],
    attachments: image ? [image] : [],
  });
}

/** At most this many characters of text in an Article's `preview` (FEP-b2b8). */
export const PREVIEW_MAX_CHARS = 500;

function previewNote(article: Article, ctx: ObjectContext, tags: readonly Hashtag[]): Note {
  const link = article.canonicalUrl ?? articleUrl(ctx.publicUrl, article.id);
  const room = PREVIEW_MAX_CHARS - link.length - 2;
  const text = [article.headline, article.standfirst ?? ""].filter(Boolean).join(" — ");
  const shown = text.length > room ? `${text.slice(0, Math.max(0, room - 1)).trimEnd()}…` : text;
  const image = leadImage(article);
  return new Note({
    attribution: ctx.actorUri,
    summary: article.contentWarning ? escapeHtml(article.contentWarning) : null,
    sensitive: Boolean(article.contentWarning),
    content: `<p>${escapeHtml(shown)}</p><p><a href="${escapeHtmlAttribute(link)}">${escapeHtml(link)}</a></p>`,
    attachments: image ? [image] : [],
    tags: [...tags],
  });
}

export function toCreate(article: Article, feed: Feed, ctx: ObjectContext): Create {
  const id = activityUri(ctx.publicUrl, feed.slug, article.id, article.revision, "create");
  const object = toObject(article, feed, ctx);
  return new Create({
    ...envelope(id, article.publishedAt, ctx),
    ...inThread(article, feed, ctx),
    object,
  });
}

export function toUpdate(article: Article, feed: Feed, ctx: ObjectContext): Update {
  const id = activityUri(ctx.publicUrl, feed.slug, article.id, article.revision, "update");
  const object = toObject(article, feed, ctx);
  return new Update({
    ...envelope(id, article.updatedAt, ctx),
    ...inThread(article, feed, ctx),
    updated: instant(article.updatedAt),
    object,
  });
}

export function toTombstone(article: Article, feed: Feed, ctx: ObjectContext): Tombstone {
  return new Tombstone({
    id: objectUri(ctx.publicUrl, feed.slug, article.id),
    deleted: instant(article.deletedAt ?? article.updatedAt),
  });
}

export function toDelete(article: Article, feed: Feed, ctx: ObjectContext): Delete {
  const id = activityUri(ctx.publicUrl, feed.slug, article.id, article.revision, "delete");
  const at = article.deletedAt ?? article.updatedAt;
  return new Delete({ ...envelope(id, at, ctx), object: toTombstone(article, feed, ctx) });
}

/**
 * database -> fediverse: a live update as this feed's followers see it, a public Note that
 * replies to the feed's post of the article, from the same actor, in the same thread
 * (`context`). Mastodon shows the story and its updates as one thread and, since a reply to
 * one's own post counts as a post, puts each update in the followers' home timelines.
 */
export function toLiveUpdateNote(
  update: LiveUpdate,
  article: Article,
  feed: Feed,
  ctx: ObjectContext,
): Note {
  const content = [
    update.headline ? `<p><strong>${escapeHtml(update.headline)}</strong></p>` : "",
    update.bodyHtml,
  ].join("");
  const image = imageAttachment(update.image, article);
  return new Note({
    ...selfReply(article, feed, ctx, {
      id: liveUpdateObjectUri(ctx.publicUrl, feed.slug, article.id, update.id),
      url: liveUpdateUrl(ctx.publicUrl, article.id, update.id),
      published: update.publishedAt,
      content,
    }),
    updated: update.revision > 1 ? instant(update.updatedAt) : null,
    attachments: image ? [image] : [],
  });
}

/**
 * What every post of the feed's own in an article's thread (an update, a correction's reply)
 * says: a public reply to the article's post, from the feed's actor, in its `context`.
 */
export function selfReply(
  article: Article,
  feed: Feed,
  ctx: ObjectContext,
  post: {
    readonly id: URL;
    readonly url: string;
    readonly published: Date;
    readonly content: string;
  },
) {
  return {
    id: post.id,
    ...inThread(article, feed, ctx),
    replyTarget: objectUri(ctx.publicUrl, feed.slug, article.id),
    attribution: ctx.actorUri,
    to: PUBLIC_COLLECTION,
    cc: ctx.followersUri,
    url: new URL(post.url),
    published: instant(post.published),
    interactionPolicy: toInteractionPolicy(feed, ctx),
    // The story's content warning covers its thread too (same images, same events).
    summary: article.contentWarning ? escapeHtml(article.contentWarning) : null,
    sensitive: Boolean(article.contentWarning),
    contents: [post.content, new LanguageString(post.content, article.language)],
  };
}

/** What a live update's announcement says, by kind; ids from update id + revision. */
export function toLiveUpdateActivity(
  kind: "create" | "update" | "delete",
  update: LiveUpdate,
  article: Article,
  feed: Feed,
  ctx: ObjectContext,
): Create | Update | Delete {
  const id = liveUpdateActivityUri(
    ctx.publicUrl,
    feed.slug,
    article.id,
    update.id,
    update.revision,
    kind,
  );
  if (kind === "delete") {
    const at = update.deletedAt ?? update.updatedAt;
    return new Delete({
      ...envelope(id, at, ctx),
      object: toLiveUpdateTombstone(update, article, feed, ctx),
    });
  }
  const object = toLiveUpdateNote(update, article, feed, ctx);
  const thread = inThread(article, feed, ctx);
  return kind === "create"
    ? new Create({ ...envelope(id, update.publishedAt, ctx), ...thread, object })
    : new Update({
        ...envelope(id, update.updatedAt, ctx),
        ...thread,
        updated: instant(update.updatedAt),
        object,
      });
}

export function toLiveUpdateTombstone(
  update: LiveUpdate,
  article: Article,
  feed: Feed,
  ctx: ObjectContext,
): Tombstone {
  return new Tombstone({
    id: liveUpdateObjectUri(ctx.publicUrl, feed.slug, article.id, update.id),
    deleted: instant(update.deletedAt ?? update.updatedAt),
  });
}

/** Who sends an activity, to whom, and when. */
export function envelope(id: URL, at: Date, ctx: ObjectContext) {
  return {
    id,
    actor: ctx.actorUri,
    to: PUBLIC_COLLECTION,
    cc: ctx.followersUri,
    published: instant(at),
  };
}

/** FEP-7888: the object and the activity that wraps it name the same thread. */
export function inThread(article: Article, feed: Feed, ctx: ObjectContext) {
  return { contexts: [threadContextUri(ctx.publicUrl, feed.slug, article.id)] };
}
