import { feedPageUrl } from "../domain/urls.ts";

/** The feed's ActivityPub actor (see `PATHS.actor` in src/federation/paths.ts). */
export function actorUrl(publicUrl: string, slug: string): string {
  return `${publicUrl}/ap/feeds/${encodeURIComponent(slug)}`;
}

/** The article as its home feed's ActivityPub object (see `objectUri` in src/federation). */
export function objectUrl(publicUrl: string, slug: string, articleId: string): string {
  return `${actorUrl(publicUrl, slug)}/articles/${encodeURIComponent(articleId)}`;
}

/** Where the "Follow from your server" form is sent (answered with a redirect). */
export function followUrl(publicUrl: string, slug: string): string {
  return `${feedPageUrl(publicUrl, slug)}/follow`;
}

/**
 * The reader's server from what they typed: `mastodon.social`, `https://mastodon.social/`, or
 * their own handle `@me@mastodon.social`. Undefined when it is not a plausible host name, so we
 * never redirect anywhere odd (no other scheme, no path, no credentials).
 */
export function parseInstance(input: string): string | undefined {
  let text = input.trim().toLowerCase();
  const handle = /^@?[^@\s/]+@([^@\s/]+)$/.exec(text);
  if (handle?.[1]) text = handle[1];
  text = text.replace(/^https:\/\//, "").replace(/\/+$/, "");
  if (!/^[a-z0-9.-]+(:\d{1,5})?$/.test(text) || text.length > 253) return undefined;
  const url = URL.parse(`https://${text}/`);
  if (!url || url.host !== text || !url.hostname.includes(".")) return undefined;
  return url.host;
}

/**
 * Mastodon's remote-interaction page (also understood by Pleroma/Akkoma, GoToSocial and others
 * that copied it): the reader's server looks up `uri` and offers its Follow button.
 */
export function remoteFollowUrl(instance: string, actor: string): string {
  return `https://${instance}/authorize_interaction?uri=${encodeURIComponent(actor)}`;
}
