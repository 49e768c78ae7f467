import type { Feed } from "../../domain/feed.ts";
import { Csrf, type DeskChrome, DeskLayout } from "./desk-layout.tsx";
import { ErrorSummary, type FormState, SelectField, TextArea, TextField } from "./form-fields.tsx";

const FEED_LABELS: Readonly<Record<string, string>> = {
  slug: "Slug:",
  kind: "Kind:",
  title: "Title:",
  description: "Description:",
  language: "Language:",
  status: "Status:",
};

/** `/desk/feeds`: every feed, a form to start a story feed, a button to close one. */
export function FeedsPage(props: { chrome: DeskChrome; feeds: readonly Feed[]; state: FormState }) {
  const { chrome } = props;
  return (
    <DeskLayout title="Feeds" chrome={{ ...chrome, section: "feeds" }}>
      <h1>Feeds</h1>
      <div class="table-wrap">
        <table class="desk-table">
          <thead>
            <tr>
              <th scope="col">Feed</th>
              <th scope="col">Kind</th>
              <th scope="col">Status</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {props.feeds.map((feed) => (
              <tr>
                <th scope="row">
                  {feed.title} <span class="meta">/{feed.slug}</span>
                </th>
                <td>{feed.kind}</td>
                <td>{feed.status}</td>
                <td class="actions">
                  <a href={`/desk/feeds/${feed.slug}`} aria-label={`Edit ${feed.title}`}>
                    Edit
                  </a>
                  {feed.kind === "story" && feed.status === "open" ? (
                    <form method="post" action={`/desk/feeds/${feed.slug}/close`}>
                      <Csrf token={chrome.csrfToken} />
                      <button type="submit" aria-label={`Close ${feed.title}`}>
                        Close
                      </button>
                    </form>
                  ) : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <h2 id="create-heading">Start a story feed</h2>
      <FeedForm chrome={chrome} state={props.state} action="/desk/feeds" creating />
    </DeskLayout>
  );
}

/** `/desk/feeds/SLUG`: edit a feed (title, description, language, kind, status). */
export function FeedEditPage(props: { chrome: DeskChrome; feed: Feed; state: FormState }) {
  return (
    <DeskLayout title={`Edit ${props.feed.title}`} chrome={{ ...props.chrome, section: "feeds" }}>
      <p class="meta">
        <a href="/desk/feeds">Feeds</a> › {props.feed.slug}
      </p>
      <h1>Edit {props.feed.title}</h1>
      <FeedForm
        chrome={props.chrome}
        state={props.state}
        action={`/desk/feeds/${props.feed.slug}`}
      />
    </DeskLayout>
  );
}

function FeedForm(props: {
  chrome: DeskChrome;
  state: FormState;
  action: string;
  creating?: boolean;
}) {
  const { state } = props;
  return (
    <>
      <ErrorSummary state={state} labels={FEED_LABELS} />
      <form method="post" action={props.action} class="desk-form" novalidate>
        <Csrf token={props.chrome.csrfToken} />
        {props.creating ? (
          <TextField
            state={state}
            name="slug"
            label="Slug"
            hint="Lowercase letters, digits and hyphens: the feed's address and fediverse name."
            required
          />
        ) : null}
        <TextField state={state} name="title" label="Title" required />
        <TextArea state={state} name="description" label="Description" rows={2} />
        <TextField state={state} name="language" label="Language" hint="e.g. en or en-GB." />
        <SelectField state={state} name="kind" label="Kind" options={["story", "section"]} />
        {props.creating ? null : (
          <SelectField state={state} name="status" label="Status" options={["open", "closed"]} />
        )}
        <button type="submit">{props.creating ? "Create feed" : "Save feed"}</button>
      </form>
    </>
  );
}
