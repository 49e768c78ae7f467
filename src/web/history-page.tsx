import type { HistoryEntry } from "../content/revision-history.ts";
import type { DiffPart, ParagraphDiff } from "../content/text-diff.ts";
import type { Article } from "../domain/article.ts";
import { articleHistoryUrl, articleUrl } from "../domain/urls.ts";
import { readableDate } from "./format.ts";
import { Layout } from "./layout.tsx";

export interface HistoryPageProps {
  readonly article: Article;
  /** Oldest first (src/content/revision-history.ts). */
  readonly entries: readonly HistoryEntry[];
  readonly publicUrl: string;
  readonly siteName: string;
}

/**
 * Every public revision of an article, newest first: when, the correction note if there was
 * one, and what changed in the headline, standfirst and text (removed words struck through,
 * added ones underlined, both also said in words for screen readers). All of it is text,
 * escaped by JSX.
 */
export function HistoryPage(props: HistoryPageProps) {
  const { article, publicUrl } = props;
  const ownUrl = articleHistoryUrl(publicUrl, article.id);
  const head = {
    title: `History: ${article.headline}`,
    lang: article.language,
    description: `Every change to “${article.headline}” since it was published`,
    canonical: ownUrl,
    siteName: props.siteName,
    publicUrl,
  };
  const newestFirst = [...props.entries].reverse();
  return (
    <Layout head={head}>
      <article class="history">
        <header>
          <p class="meta">
            <a href={articleUrl(publicUrl, article.id)}>Back to the story</a>
          </p>
          <h1>History of this story</h1>
          <p class="standfirst">{article.headline}</p>
          <p class="meta">
            {props.entries.length === 1
              ? "No changes since it was published."
              : `${props.entries.length - 1} ${props.entries.length === 2 ? "change" : "changes"} since it was published.`}
          </p>
        </header>
        <ol class="revisions" reversed>
          {newestFirst.map((entry) => (
            <li id={`revision-${entry.revision}`}>
              <h2>
                {entry.first ? "Published" : entry.correction === null ? "Updated" : "Corrected"}{" "}
                <time datetime={entry.at.toISOString()}>{readableDate(entry.at)}</time>
              </h2>
              {entry.correction === null ? null : (
                <p class="correction">
                  <strong>Correction:</strong> {entry.correction}
                </p>
              )}
              {entry.first ? null : <Changes entry={entry} />}
            </li>
          ))}
        </ol>
      </article>
    </Layout>
  );
}

function Changes(props: { entry: HistoryEntry }) {
  const { headline, standfirst, body } = props.entry;
  const changed = [
    { label: "Headline", diff: headline && <Words parts={headline} /> },
    { label: "Standfirst", diff: standfirst && <Words parts={standfirst} /> },
    {
      label: "Text",
      diff: body && (
        <>
          <Paragraphs diff={body} />
          {props.entry.moreChangedParagraphs === 0 ? null : (
            <p class="meta">
              … and {props.entry.moreChangedParagraphs} more changed{" "}
              {props.entry.moreChangedParagraphs === 1 ? "paragraph" : "paragraphs"}, not shown
              here.
            </p>
          )}
        </>
      ),
    },
  ].filter((field) => field.diff !== null);
  if (changed.length === 0) {
    return <p class="meta">No change to the headline, standfirst or text.</p>;
  }
  return (
    <dl class="changes">
      {changed.map((field) => (
        <>
          <dt>{field.label}</dt>
          <dd>{field.diff}</dd>
        </>
      ))}
    </dl>
  );
}

/** Changed paragraphs in full; a run of unchanged ones is named by its length only. */
function Paragraphs(props: { diff: readonly ParagraphDiff[] }) {
  const shown: (ParagraphDiff | { op: "kept"; count: number })[] = [];
  for (const paragraph of props.diff) {
    const last = shown.at(-1);
    if (paragraph.op !== "same") shown.push(paragraph);
    else if (last?.op === "kept") last.count++;
    else shown.push({ op: "kept", count: 1 });
  }
  return (
    <>
      {shown.map((paragraph) =>
        paragraph.op === "kept" ? (
          <p class="meta">
            … {paragraph.count} unchanged {paragraph.count === 1 ? "paragraph" : "paragraphs"} …
          </p>
        ) : paragraph.op === "changed" ? (
          <p>
            <Words parts={paragraph.parts} />
          </p>
        ) : paragraph.op === "removed" ? (
          <p>
            <Words parts={[{ op: "removed", text: paragraph.text }]} />
          </p>
        ) : (
          <p>
            <Words parts={[{ op: "added", text: paragraph.text }]} />
          </p>
        ),
      )}
    </>
  );
}

/** Word runs: `<del>` for removed, `<ins>` for added, each also named for screen readers. */
function Words(props: { parts: readonly DiffPart[] }) {
  return (
    <>
      {props.parts.map((part) =>
        part.op === "same" ? (
          part.text
        ) : part.op === "removed" ? (
          <del>
            <span class="visually-hidden">[removed: </span>
            {part.text}
            <span class="visually-hidden">]</span>
          </del>
        ) : (
          <ins>
            <span class="visually-hidden">[added: </span>
            {part.text}
            <span class="visually-hidden">]</span>
          </ins>
        ),
      )}
    </>
  );
}
