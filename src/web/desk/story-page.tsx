import type { RevisionText } from "../../content/revision-history.ts";
import type { Article, LiveUpdate } from "../../domain/article.ts";
import type { ArticleReach } from "../../storage/views/desk.view.ts";
import { readableDate } from "../format.ts";
import { DayChart } from "./day-chart.tsx";
import {
  type DeliveryCounts,
  DeliveryHealth,
  ServerDeliveries,
  type ServerRow,
} from "./delivery-health.tsx";
import { Csrf, type DeskChrome, DeskLayout } from "./desk-layout.tsx";
import { EMPTY_FORM, ErrorSummary, type FormState, TextArea, TextField } from "./form-fields.tsx";

export interface StoryPageProps {
  readonly chrome: DeskChrome;
  readonly article: Article;
  readonly articleUrl: string;
  readonly revisions: readonly RevisionText[];
  readonly updates: readonly LiveUpdate[];
  readonly reach: ArticleReach;
  /** The form the editor just sent, refused, with their input and the API's messages. */
  readonly refused?: { readonly form: "update" | "correct"; readonly state: FormState } | undefined;
  /** Delivery of the latest publish, per server; absent without the read models. */
  readonly delivery?:
    | { readonly counts: DeliveryCounts; readonly servers: readonly ServerRow[] }
    | undefined;
}

/** `/desk/stories/ID`: the story, its reach and history, and what can be done to it. */
export function StoryPage(props: StoryPageProps) {
  const { article, chrome } = props;
  const base = `/desk/stories/${article.id}`;
  const stateOf = (form: "update" | "correct") =>
    props.refused?.form === form ? props.refused.state : EMPTY_FORM;
  const total = (points: ArticleReach["likes"]) => points.reduce((n, p) => n + p.count, 0);
  return (
    <DeskLayout title={article.headline} chrome={chrome}>
      <p class="meta">
        <a href="/desk">Overview</a> › Story
      </p>
      <h1>{article.headline}</h1>
      <p class="meta">
        {article.deletedAt
          ? `Deleted ${readableDate(article.deletedAt)}`
          : `Published ${readableDate(article.publishedAt)} · revision ${article.revision}`}
        {article.pinned ? " · pinned" : ""}
        {article.live ? " · live" : ""} · in {article.feeds.join(", ")} ·{" "}
        <a href={props.articleUrl}>public page</a>
      </p>
      {article.standfirst ? <p class="standfirst">{article.standfirst}</p> : null}

      {props.delivery ? (
        <>
          <DeliveryHealth counts={props.delivery.counts} articleId={article.id} />
          <ServerDeliveries rows={props.delivery.servers} />
        </>
      ) : null}

      <section aria-labelledby="reach-heading">
        <h2 id="reach-heading">Reach</h2>
        <ul class="counts">
          <li>{total(props.reach.likes)} likes</li>
          <li>{total(props.reach.boosts)} boosts</li>
          <li>{total(props.reach.replies)} replies</li>
        </ul>
        <DayChart
          title="Likes, boosts and replies per day"
          series={[
            { label: "Likes", className: "s1", points: props.reach.likes },
            { label: "Boosts", className: "s2", points: props.reach.boosts },
            { label: "Replies", className: "s3", points: props.reach.replies },
          ]}
        />
      </section>

      {article.deletedAt ? null : (
        <section aria-labelledby="actions-heading">
          <h2 id="actions-heading">Actions</h2>
          <div class="actions">
            <a class="button" href={`${base}/edit`}>
              Edit
            </a>
            <form method="post" action={`${base}/pin`}>
              <Csrf token={chrome.csrfToken} />
              <input type="hidden" name="pinned" value={article.pinned ? "false" : "true"} />
              <button type="submit">{article.pinned ? "Unpin" : "Pin"}</button>
            </form>
          </div>

          <h3 id="update-heading">Add an update</h3>
          <ErrorSummary
            state={stateOf("update")}
            labels={{ headline: "Update headline:", bodyHtml: "Update:" }}
          />
          <form
            method="post"
            action={`${base}/updates`}
            class="desk-form"
            aria-labelledby="update-heading"
            novalidate
          >
            <Csrf token={chrome.csrfToken} />
            <TextField state={stateOf("update")} name="headline" label="Update headline" />
            <TextArea
              state={stateOf("update")}
              name="bodyHtml"
              label="Update"
              rows={4}
              hint="HTML."
            />
            <button type="submit">Post update</button>
          </form>

          <h3 id="correct-heading">Correct</h3>
          <ErrorSummary state={stateOf("correct")} labels={{ correction: "Correction:" }} />
          <form
            method="post"
            action={`${base}/correct`}
            class="desk-form"
            aria-labelledby="correct-heading"
            novalidate
          >
            <Csrf token={chrome.csrfToken} />
            <TextArea
              state={stateOf("correct")}
              name="correction"
              label="Correction note"
              rows={2}
              hint="Public: shown on the page, in the feeds and to followers. To change the text too, use Edit."
            />
            <button type="submit">Publish correction</button>
          </form>

          <details class="danger">
            <summary>Delete this story</summary>
            <form method="post" action={`${base}/delete`}>
              <Csrf token={chrome.csrfToken} />
              <p>Its page will answer 410 Gone and followers' servers are told to remove it.</p>
              <button type="submit">Delete the story</button>
            </form>
          </details>
        </section>
      )}

      <section aria-labelledby="updates-heading">
        <h2 id="updates-heading">Updates ({props.updates.length})</h2>
        {props.updates.length === 0 ? (
          <p>No updates yet.</p>
        ) : (
          <ol class="desk-list">
            {props.updates.map((update) => (
              <li>
                <strong>{update.headline ?? "Update"}</strong>{" "}
                <span class="meta">{readableDate(update.publishedAt)}</span>
              </li>
            ))}
          </ol>
        )}
      </section>

      <section aria-labelledby="revisions-heading">
        <h2 id="revisions-heading">Revisions ({props.revisions.length})</h2>
        <ol class="desk-list">
          {props.revisions.map((revision) => (
            <li>
              Revision {revision.revision}: {revision.headline}{" "}
              <span class="meta">{readableDate(revision.recordedAt)}</span>
              {revision.correction ? (
                <p class="correction">Correction: {revision.correction}</p>
              ) : null}
            </li>
          ))}
        </ol>
        <p>
          <a href={`${props.articleUrl}/history`}>Public history with changes</a>
        </p>
      </section>
    </DeskLayout>
  );
}
