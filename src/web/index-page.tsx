import { feedPageUrl, OPML_PATH } from "../domain/urls.ts";
import type { FrontPage, FrontPageFeed } from "../storage/views/front-page.view.ts";
import { feedAlternates } from "./format.ts";
import { Layout } from "./layout.tsx";
import { StoryItem } from "./story-item.tsx";

/**
 * `/`: the feeds with their latest headlines, a page at a time; sections and open stories
 * before closed ones.
 */
export function IndexPage(props: FrontPage & { publicUrl: string; siteName: string }) {
  const { feeds, page, pageCount, publicUrl, siteName } = props;
  const open = feeds.filter((summary) => summary.feed.status === "open");
  const closed = feeds.filter((summary) => summary.feed.status === "closed");
  const head = {
    title: siteName,
    lang: "en",
    description: "News feeds to read in a feed reader or follow from the fediverse.",
    canonical: page === 1 ? `${publicUrl}/` : `${publicUrl}/?page=${page}`,
    alternates: [
      ...feeds.flatMap((summary) => feedAlternates(publicUrl, summary.feed)),
      { type: "text/x-opml", title: "All feeds (OPML)", href: `${publicUrl}${OPML_PATH}` },
    ],
    siteName,
    publicUrl,
  };
  return (
    <Layout head={head}>
      <h1>Feeds</h1>
      <p>
        Pick a section or a developing story to read, subscribe in a feed reader, or follow from
        Mastodon. To subscribe to them all at once, import{" "}
        <a href={OPML_PATH} type="text/x-opml">
          every feed as OPML
        </a>{" "}
        into your feed reader.
      </p>
      <section aria-labelledby="open-feeds">
        <h2 id="open-feeds">Sections and stories</h2>
        {open.length === 0 ? <p>No feeds yet.</p> : open.map((s) => FeedCard(s, publicUrl))}
      </section>
      {closed.length === 0 ? null : (
        <section aria-labelledby="closed-feeds">
          <h2 id="closed-feeds">Closed stories</h2>
          {closed.map((s) => FeedCard(s, publicUrl))}
        </section>
      )}
      {pageCount === 1 ? null : (
        <nav class="pager" aria-label="More feeds">
          {page > 1 ? (
            <a href={page === 2 ? "/" : `/?page=${page - 1}`} rel="prev">
              Previous feeds
            </a>
          ) : null}{" "}
          <span class="meta">
            Page {page} of {pageCount}
          </span>{" "}
          {page < pageCount ? (
            <a href={`/?page=${page + 1}`} rel="next">
              More feeds
            </a>
          ) : null}
        </nav>
      )}
    </Layout>
  );
}

function FeedCard(summary: FrontPageFeed, publicUrl: string) {
  const { feed, latest } = summary;
  return (
    <article class="feed-card">
      <h3>
        <a href={feedPageUrl(publicUrl, feed.slug)}>{feed.title}</a>{" "}
        <span class="badge">{feed.kind === "section" ? "Section" : "Story"}</span>
      </h3>
      {feed.description ? <p class="meta">{feed.description}</p> : null}
      {latest.length === 0 ? (
        <p class="meta">No stories yet.</p>
      ) : (
        <ul class="stories">
          {latest.map((article) => (
            <StoryItem publicUrl={publicUrl} article={article} />
          ))}
        </ul>
      )}
    </article>
  );
}
