import { type Article, newestCorrections } from "../domain/article.ts";
import type { Feed } from "../domain/feed.ts";
import { articleHistoryUrl, articleUrl, correctionAnchor, feedPageUrl } from "../domain/urls.ts";
import type { ArticleReactions } from "../storage/views/article-page.view.ts";
import { ArticleJsonLd } from "./article-json-ld.tsx";
import { objectUrl } from "./fediverse-links.ts";
import { creatorHandle, feedAlternates, readableDate, webHref } from "./format.ts";
import { Layout } from "./layout.tsx";
import { LeadImage } from "./lead-image.tsx";
import { LiveLabel, LiveUpdates, type LiveUpdatesProps } from "./live-updates.tsx";

export interface ArticlePageProps {
  readonly article: Article;
  /** The article's feeds that still exist, home feed first. */
  readonly feeds: readonly Feed[];
  /** Null when likes, boosts, replies and quotes are not available (no database for them). */
  readonly reactions: ArticleReactions | null;
  readonly publicUrl: string;
  readonly siteName: string;
  /** Whether `/articles/ID/history` is served (it needs the read models): then it is linked. */
  readonly historyLinked: boolean;
  /**
   * The live updates readers see, the stream's ETag and poll interval (live-updates.tsx);
   * undefined without the read models (no stream is shown).
   */
  readonly stream: Pick<LiveUpdatesProps, "updates" | "etag" | "pollSeconds"> | undefined;
  /** The request's time (a live story's projected coverage end in its JSON-LD). */
  readonly now: Date;
}

function plural(count: number, one: string, many: string): string {
  return `${count} ${count === 1 ? one : many}`;
}

/**
 * One article, at one URL shared by all its feeds. The body and the replies were sanitised
 * when stored (src/content/sanitize-html.ts); everything else is text, escaped by JSX.
 */
export function ArticlePage(props: ArticlePageProps) {
  const { article, feeds, reactions, publicUrl } = props;
  const ownUrl = articleUrl(publicUrl, article.id);
  const home = article.feeds[0];
  const revised = article.revision > 1 && article.updatedAt > article.publishedAt;
  const corrections = newestCorrections(article);
  const creators = article.authors.flatMap((author) => {
    const handle = creatorHandle(author.fediverseHandle);
    return handle ? [handle] : [];
  });
  const head = {
    title: article.headline,
    lang: article.language,
    description: article.standfirst ?? undefined,
    canonical: article.canonicalUrl ?? ownUrl,
    alternates: [
      ...(home
        ? [{ type: "application/activity+json", href: objectUrl(publicUrl, home, article.id) }]
        : []),
      ...feeds.flatMap((feed) => feedAlternates(publicUrl, feed)),
    ],
    ogType: "article" as const,
    image: article.image ? { url: article.image.url, alt: article.image.alt } : undefined,
    fediverseCreators: creators,
    siteName: props.siteName,
    publicUrl,
  };
  const image = article.image;
  return (
    <Layout head={head}>
      <article>
        <header>
          {feeds.length === 0 ? null : (
            <p class="meta">
              {feeds.map((feed, i) => (
                <>
                  {i > 0 ? " · " : ""}
                  <a href={feedPageUrl(publicUrl, feed.slug)}>{feed.title}</a>
                </>
              ))}
            </p>
          )}
          {article.live ? <LiveLabel /> : null}
          <h1>{article.headline}</h1>
          {article.standfirst ? <p class="standfirst">{article.standfirst}</p> : null}
          {article.authors.length === 0 ? null : (
            <p class="byline">
              By{" "}
              {article.authors.map((author, i) => (
                <>
                  {i === 0 ? "" : i === article.authors.length - 1 ? " and " : ", "}
                  {webHref(author.url) ? (
                    <a href={webHref(author.url)}>{author.name}</a>
                  ) : (
                    author.name
                  )}
                </>
              ))}
            </p>
          )}
          <p class="meta">
            Published{" "}
            <time datetime={article.publishedAt.toISOString()}>
              {readableDate(article.publishedAt)}
            </time>
            {revised ? (
              <>
                {" · "}
                {corrections.length > 0 ? (
                  <>
                    <span class="badge">Corrected</span> updated{" "}
                  </>
                ) : (
                  "Updated "
                )}
                <time datetime={article.updatedAt.toISOString()}>
                  {readableDate(article.updatedAt)}
                </time>
                {props.historyLinked ? (
                  <>
                    {" · "}
                    <a href={articleHistoryUrl(publicUrl, article.id)}>History of this story</a>
                  </>
                ) : null}
              </>
            ) : null}
          </p>
        </header>
        {corrections.length === 0 ? null : (
          <aside class="correction" aria-labelledby="correction-heading">
            <h2 id="correction-heading">
              {corrections.length === 1 ? "Correction" : "Corrections"}
            </h2>
            {corrections.map((correction) => (
              <p id={correctionAnchor(correction.id)}>
                <time datetime={correction.correctedAt.toISOString()}>
                  {readableDate(correction.correctedAt)}
                </time>
                : {correction.note}
              </p>
            ))}
          </aside>
        )}
        {article.contentWarning ? (
          <p class="content-warning" role="note">
            <strong>Content warning:</strong> {article.contentWarning}
          </p>
        ) : null}
        {image && article.contentWarning ? (
          // Behind a click: <details> needs no script.
          <details class="sensitive-image">
            <summary>Show the image ({article.contentWarning})</summary>
            <LeadImage image={image} lazy />
          </details>
        ) : image ? (
          <LeadImage image={image} />
        ) : null}
        <div class="body" dangerouslySetInnerHTML={{ __html: article.bodyHtml }} />
        {article.tags.length === 0 ? null : (
          <p>
            {article.tags.map((tag) => (
              <span class="tag">{tag}</span>
            ))}
          </p>
        )}
      </article>
      {props.stream ? (
        <LiveUpdates article={article} publicUrl={publicUrl} {...props.stream} />
      ) : null}
      <ArticleJsonLd
        article={article}
        updates={props.stream?.updates ?? []}
        publicUrl={publicUrl}
        siteName={props.siteName}
      />
      {reactions === null ? null : (
        <section aria-labelledby="fediverse">
          <h2 id="fediverse">On the fediverse</h2>
          <ul class="counts" id="counts">
            <li>{plural(reactions.likes, "like", "likes")}</li>
            <li>{plural(reactions.boosts, "boost", "boosts")}</li>
            <li>{plural(reactions.replies, "reply", "replies")}</li>
            <li>{plural(reactions.quotes, "quote", "quotes")}</li>
          </ul>
          {reactions.replyList.length === 0 ? (
            <p class="meta">
              No replies yet. Reply from Mastodon by searching for this page's address.
            </p>
          ) : (
            <ol class="replies" aria-label="Replies">
              {reactions.replyList.map((reply) => (
                <li>
                  <p class="meta">
                    <a href={webHref(reply.url) ?? webHref(reply.actorId)} rel="nofollow ugc">
                      {displayActor(reply.actorId)}
                    </a>{" "}
                    <time datetime={reply.publishedAt.toISOString()}>
                      {readableDate(reply.publishedAt)}
                    </time>
                  </p>
                  {/* Sanitised once, when it arrived (src/content/reply-html.ts). */}
                  <div dangerouslySetInnerHTML={{ __html: reply.contentHtml }} />
                </li>
              ))}
            </ol>
          )}
        </section>
      )}
    </Layout>
  );
}

/** `https://host/users/name` -> `name@host`: a readable name without fetching the actor. */
function displayActor(actorId: string): string {
  const url = URL.parse(actorId);
  if (!url) return actorId;
  const name = url.pathname.split("/").filter(Boolean).at(-1)?.replace(/^@/, "");
  return name ? `${name}@${url.host}` : url.host;
}
