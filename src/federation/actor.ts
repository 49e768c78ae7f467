import type { Context } from "@fedify/fedify";
import {
  Application,
  Endpoints,
  Group,
  Image,
  Organization,
  Person,
  PropertyValue,
  Service,
} from "@fedify/vocab";
import { type ActorType, type Feed, storyEndedNote } from "../domain/feed.ts";
import { feedArtworkUrl, feedPageUrl } from "../domain/urls.ts";
import { escapeHtml, escapeHtmlAttribute } from "../syndication/html.ts";
import { imageMediaType } from "../syndication/media-type.ts";
import type { FederationData } from "./context-data.ts";
import { instant } from "./objects.ts";

const ACTOR_CLASSES = {
  Organization,
  Service,
  Group,
  Application,
  Person,
} as const satisfies Record<ActorType, unknown>;

/** The feed's own image, or the PNG Tidings draws for it (feed-artwork.ts). */
function image(url: string | null, fallback: string): Image {
  return url
    ? new Image({ url: new URL(url), mediaType: imageMediaType(url) })
    : new Image({ url: new URL(fallback), mediaType: "image/png" });
}

/**
 * database -> fediverse: the feed as a fediverse account. With `movedFrom` (an old slug of the
 * feed), the account it was: its own id, inboxes and keys, `movedTo` the feed's account, so that
 * servers can verify its Move (docs/adr/0006-feed-renames.md). The feed's account names its old
 * accounts in `alsoKnownAs`, which is what Mastodon checks before following it instead.
 */
export async function toActor(
  ctx: Context<FederationData>,
  feed: Feed,
  options: { readonly movedFrom?: string } = {},
) {
  const identifier = options.movedFrom ?? feed.slug;
  const keys = await ctx.getActorKeyPairs(identifier);
  const aliases = options.movedFrom ? [] : await ctx.data.repos.feeds.aliasesOf(feed.slug);
  const page = feedPageUrl(ctx.data.publicUrl, feed.slug);
  const ActorClass = ACTOR_CLASSES[feed.actorType];
  return new ActorClass({
    id: ctx.getActorUri(identifier),
    preferredUsername: identifier,
    name: feed.title,
    summary: actorSummary(feed),
    url: new URL(page),
    icon: image(feed.iconUrl, feedArtworkUrl(ctx.data.publicUrl, feed.slug, "icon")),
    image: image(feed.imageUrl, feedArtworkUrl(ctx.data.publicUrl, feed.slug, "header")),
    published: instant(feed.createdAt),
    discoverable: true,
    indexable: true,
    manuallyApprovesFollowers: false,
    attachments: [
      new PropertyValue({
        name: "Website",
        value: `<a href="${escapeHtmlAttribute(page)}" rel="me nofollow noopener" target="_blank">${escapeHtml(page.replace(/^https?:\/\//, ""))}</a>`,
      }),
    ],
    inbox: ctx.getInboxUri(identifier),
    outbox: ctx.getOutboxUri(identifier),
    followers: ctx.getFollowersUri(identifier),
    following: ctx.getFollowingUri(identifier),
    featured: ctx.getFeaturedUri(identifier),
    endpoints: new Endpoints({ sharedInbox: ctx.getInboxUri() }),
    publicKey: keys[0]?.cryptographicKey ?? null,
    assertionMethods: keys.map((pair) => pair.multikey),
    aliases: aliases.map((slug) => ctx.getActorUri(slug)),
    successor: options.movedFrom ? ctx.getActorUri(feed.slug) : null,
  });
}

/** The feed's description, then (once a story is closed) when it ended. */
function actorSummary(feed: Feed): string | null {
  const paragraphs = [feed.description, storyEndedNote(feed)].filter((text) => text);
  if (paragraphs.length === 0) return null;
  return paragraphs.map((text) => `<p>${escapeHtml(text ?? "")}</p>`).join("");
}
