import { DeskLayout } from "./desk-layout.tsx";
import { ErrorSummary, type FormState, TextField } from "./form-fields.tsx";

/** `/desk/sign-in`: an admin token (publish or admin scope) opens a session. */
export function SignInPage(props: { siteName: string; state: FormState; notice?: string }) {
  return (
    <DeskLayout title="Sign in" chrome={{ siteName: props.siteName, notice: props.notice }}>
      <h1>Sign in to the desk</h1>
      <ErrorSummary state={props.state} labels={{ token: "Token:" }} />
      <form method="post" action="/desk/sign-in" class="desk-form">
        <TextField
          state={props.state}
          name="token"
          label="Admin token"
          type="password"
          autocomplete="current-password"
          hint="A token with the publish or admin scope (tidings token create), or ADMIN_TOKEN."
          required
        />
        <button type="submit">Sign in</button>
      </form>
    </DeskLayout>
  );
}
