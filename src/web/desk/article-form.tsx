import type { Feed } from "../../domain/feed.ts";
import {
  CheckboxGroup,
  ErrorSummary,
  type FormState,
  TextArea,
  TextField,
} from "./form-fields.tsx";

/** Labels as the error summary names them. */
export const ARTICLE_LABELS: Readonly<Record<string, string>> = {
  headline: "Headline:",
  standfirst: "Standfirst:",
  bodyHtml: "Body:",
  author: "Byline:",
  imageUrl: "Image URL:",
  imageAlt: "Image description:",
  tags: "Tags:",
  feeds: "Feeds:",
  publishedAt: "Publish at:",
  correction: "Correction:",
};

/**
 * The story form, for Compose (a new story) and Edit (a revision, with an optional public
 * correction note). Field names map onto the admin API's fields (src/http/desk-article-forms.ts).
 */
export function ArticleForm(props: {
  action: string;
  csrfToken: string;
  feeds: readonly Feed[];
  state: FormState;
  submitLabel: string;
  withCorrection?: boolean;
}) {
  const { state } = props;
  return (
    <>
      <ErrorSummary state={state} labels={ARTICLE_LABELS} />
      <form method="post" action={props.action} class="desk-form" novalidate>
        <input type="hidden" name="_csrf" value={props.csrfToken} />
        <TextField state={state} name="headline" label="Headline" required />
        <TextArea state={state} name="standfirst" label="Standfirst" rows={2} />
        <TextArea
          state={state}
          name="bodyHtml"
          label="Body"
          rows={10}
          hint="HTML; scripts, handlers and frames are removed."
        />
        <TextField state={state} name="author" label="Byline" hint="The author's name." />
        <TextField state={state} name="imageUrl" label="Image URL" type="url" />
        <TextField
          state={state}
          name="imageAlt"
          label="Image description"
          hint="For readers who cannot see the image; needed with an image."
        />
        <TextField state={state} name="tags" label="Tags" hint="Separated by commas." />
        <CheckboxGroup
          state={state}
          name="feeds"
          legend="Feeds"
          options={props.feeds.map((feed) => ({
            value: feed.slug,
            label: `${feed.title}${feed.status === "closed" ? " (closed)" : ""}`,
          }))}
        />
        <TextField
          state={state}
          name="publishedAt"
          label="Publish at (UTC)"
          type="datetime-local"
          hint="Leave empty to publish now; a future time schedules the story."
        />
        {props.withCorrection ? (
          <TextArea
            state={state}
            name="correction"
            label="Correction"
            rows={2}
            hint="A public note on this revision; leave empty for a silent fix."
          />
        ) : null}
        <button type="submit">{props.submitLabel}</button>
      </form>
    </>
  );
}
