import { type Feed, storyEndedNote } from "../domain/feed.ts";
import {
  FEED_FORMATS,
  fediverseHandle,
  feedArchiveUrl,
  feedDocumentUrl,
  feedPageUrl,
} from "../domain/urls.ts";
import type { StoryPage } from "../storage/views/feed-page.view.ts";
import { actorUrl, followUrl } from "./fediverse-links.ts";
import { FORMAT_NAMES, feedAlternates } from "./format.ts";
import { Layout } from "./layout.tsx";
import { StoryItem } from "./story-item.tsx";

export interface FeedPageProps {
  readonly feed: Feed;
  readonly stories: StoryPage;
  /** Whether this is a later page (reached through `?before=`). */
  readonly paged: boolean;
  /** Null when the follower count is not available (no database for it). */
  readonly followers: number | null;
  readonly publicUrl: string;
  readonly siteName: string;
}

/** `/{slug}`: a feed's latest stories, paged, and every way to subscribe to it. */
export function FeedPage(props: FeedPageProps) {
  const { feed, stories, publicUrl } = props;
  const handle = fediverseHandle(publicUrl, feed.slug);
  const pageUrl = feedPageUrl(publicUrl, feed.slug);
  const head = {
    title: feed.title,
    lang: feed.language,
    description: feed.description || undefined,
    canonical: pageUrl,
    alternates: [
      ...feedAlternates(publicUrl, feed),
      { type: "application/activity+json", href: actorUrl(publicUrl, feed.slug) },
    ],
    image: feed.imageUrl ? { url: feed.imageUrl, alt: "" } : undefined,
    siteName: props.siteName,
    publicUrl,
  };
  return (
    <Layout head={head}>
      <header>
        <h1>{feed.title}</h1>
        {feed.description ? <p>{feed.description}</p> : null}
        {feed.status === "closed" ? (
          <p class="notice">
            <strong>{storyEndedNote(feed)}</strong>
          </p>
        ) : null}
      </header>
      <section class="subscribe" aria-labelledby="subscribe">
        <h2 id="subscribe">Subscribe</h2>
        <p>In a feed reader (paste one of these addresses into it):</p>
        <ul class="formats">
          {FEED_FORMATS.map((format) => (
            <li>
              <a href={feedDocumentUrl(publicUrl, feed.slug, format)}>{FORMAT_NAMES[format]}</a>
            </li>
          ))}
        </ul>
        {stories.articles.length === 0 ? null : (
          <p>
            Every story from the first, in the feed's archive:{" "}
            {FEED_FORMATS.map((format, index) => (
              <>
                {index === 0 ? "" : " · "}
                <a href={feedArchiveUrl(publicUrl, feed.slug, 1, format)}>
                  {FORMAT_NAMES[format]} archive
                </a>
              </>
            ))}
          </p>
        )}
        <p>On Mastodon or another fediverse server, search for:</p>
        <p class="handle">
          <code id="handle">{handle}</code>
          <button type="button" data-copy={handle} data-status="copy-status" hidden>
            Copy
          </button>
          <span id="copy-status" role="status" />
        </p>
        <form class="follow-form" method="get" action={followUrl(publicUrl, feed.slug)}>
          <label for="instance">Follow from your server (e.g. mastodon.social):</label>
          <input
            id="instance"
            name="instance"
            type="text"
            inputmode="url"
            autocomplete="off"
            spellcheck={false}
            required
            placeholder="mastodon.social"
          />
          <button type="submit">Follow</button>
        </form>
        {props.followers === null ? null : (
          <p class="meta" id="followers">
            {props.followers === 1 ? "1 follower" : `${props.followers} followers`} on the fediverse
          </p>
        )}
      </section>
      <section aria-labelledby="latest">
        <h2 id="latest">{props.paged ? "Earlier stories" : "Latest stories"}</h2>
        {stories.articles.length === 0 ? (
          <p>No stories yet.</p>
        ) : (
          <ul class="stories">
            {stories.articles.map((article) => (
              <StoryItem publicUrl={publicUrl} article={article} withStandfirst />
            ))}
          </ul>
        )}
        <nav class="pager" aria-label="More stories">
          {props.paged ? <a href={pageUrl}>Newest stories</a> : <span />}
          {stories.older === null ? null : (
            <a href={`${pageUrl}?before=${encodeURIComponent(stories.older)}`}>Older stories</a>
          )}
        </nav>
      </section>
    </Layout>
  );
}
