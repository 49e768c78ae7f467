import type { Article, LiveUpdate } from "../domain/article.ts";
import { liveStreamUrl, liveUpdateAnchor } from "../domain/urls.ts";
import { readableDate, webHref } from "./format.ts";
import { LeadImage } from "./lead-image.tsx";

/**
 * The visible LIVE label of a developing story. The page's script removes it when the stream
 * says the story is no longer live.
 */
export function LiveLabel() {
  return (
    <p class="live-label" data-live-label="">
      <span class="live-badge">Live</span>
    </p>
  );
}

export interface LiveUpdatesProps {
  readonly article: Pick<Article, "id" | "live">;
  /** What readers may see (published, not deleted), newest first. */
  readonly updates: readonly LiveUpdate[];
  readonly publicUrl: string;
  /** The stream's ETag for `updates`: the script's first poll then gets a 304. */
  readonly etag: string;
  /** How often the script asks for news while the story is live. */
  readonly pollSeconds: number;
}

/**
 * The stream of a developing story, newest first, each update at its anchor `#update-ID` (the
 * link and guid the feeds give it). Complete without JavaScript; while the story is live, the
 * site script (live-updates-js.ts) polls `updates.json` and merges what changed into the list,
 * announcing new updates through the polite status line.
 */
export function LiveUpdates(props: LiveUpdatesProps) {
  const { article, updates } = props;
  if (!article.live && updates.length === 0) return null;
  return (
    <section
      class="live-updates"
      aria-labelledby="live-updates-heading"
      data-live-stream={liveStreamUrl(props.publicUrl, article.id)}
      data-live={article.live ? "true" : "false"}
      data-etag={props.etag}
      data-poll-seconds={String(props.pollSeconds)}
    >
      <h2 id="live-updates-heading">Updates</h2>
      <p class="meta live-status" role="status" aria-live="polite" data-live-status="" />
      <p class="meta" data-live-empty="" hidden={updates.length > 0}>
        No updates yet.
      </p>
      <ol class="live-update-list" data-live-list="">
        {updates.map((update) => (
          <LiveUpdateItem update={update} />
        ))}
      </ol>
    </section>
  );
}

/** One update; also rendered into `updates.json`, so the script inserts the same markup. */
export function LiveUpdateItem(props: { update: LiveUpdate }) {
  const { update } = props;
  const anchor = liveUpdateAnchor(update.id);
  const edited = update.revision > 1 && update.updatedAt > update.publishedAt;
  return (
    <li id={anchor} class="live-update" data-revision={String(update.revision)}>
      <p class="meta">
        <a href={`#${anchor}`}>
          <time datetime={update.publishedAt.toISOString()}>
            {readableDate(update.publishedAt)}
          </time>
        </a>
        {edited ? (
          <>
            {" · edited "}
            <time datetime={update.updatedAt.toISOString()}>{readableDate(update.updatedAt)}</time>
          </>
        ) : null}
      </p>
      {update.headline ? <h3>{update.headline}</h3> : null}
      {update.image ? <LeadImage image={update.image} lazy /> : null}
      {/* Sanitised when stored (src/content/sanitize-html.ts). */}
      <div class="body" dangerouslySetInnerHTML={{ __html: update.bodyHtml }} />
      {update.authors.length === 0 ? null : (
        <p class="meta">
          {update.authors.map((author, i) => (
            <>
              {i === 0 ? "By " : ", "}
              {webHref(author.url) ? <a href={webHref(author.url)}>{author.name}</a> : author.name}
            </>
          ))}
        </p>
      )}
    </li>
  );
}
