import type { Feed } from "../../domain/feed.ts";
import { ArticleForm } from "./article-form.tsx";
import { type DeskChrome, DeskLayout } from "./desk-layout.tsx";
import type { FormState } from "./form-fields.tsx";

/** `/desk/compose` (a new story) and `/desk/stories/ID/edit` (a revision). */
export function ComposePage(props: {
  chrome: DeskChrome;
  feeds: readonly Feed[];
  state: FormState;
  /** Set when editing: the story's id and headline. */
  editing?: { readonly id: string; readonly headline: string } | undefined;
}) {
  const { editing } = props;
  return (
    <DeskLayout title={editing ? `Edit: ${editing.headline}` : "Compose"} chrome={props.chrome}>
      <h1>{editing ? "Edit the story" : "Compose a story"}</h1>
      <ArticleForm
        action={editing ? `/desk/stories/${editing.id}/edit` : "/desk/compose"}
        csrfToken={props.chrome.csrfToken ?? ""}
        feeds={props.feeds}
        state={props.state}
        submitLabel={editing ? "Save revision" : "Push the story"}
        withCorrection={editing !== undefined}
      />
    </DeskLayout>
  );
}
