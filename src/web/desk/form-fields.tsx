import type { FormErrors, FormValues } from "../../http/desk-forms.ts";

/** What every field needs: the submitted values and the API's messages, by field name. */
export interface FormState {
  readonly values: FormValues;
  readonly errors: FormErrors;
}

export const EMPTY_FORM: FormState = { values: {}, errors: new Map() };

const errorId = (name: string) => `${name}-error`;
const hintId = (name: string) => `${name}-hint`;

function textValue(state: FormState, name: string): string {
  const value = state.values[name];
  return typeof value === "string" ? value : "";
}

function describedBy(state: FormState, name: string, hint: string | undefined) {
  const ids = [hint ? hintId(name) : "", state.errors.has(name) ? errorId(name) : ""].filter(
    (id) => id !== "",
  );
  return ids.length > 0 ? ids.join(" ") : undefined;
}

function Messages(props: { state: FormState; name: string; hint?: string | undefined }) {
  const messages = props.state.errors.get(props.name);
  return (
    <>
      {props.hint ? (
        <span class="hint" id={hintId(props.name)}>
          {props.hint}
        </span>
      ) : null}
      {messages ? (
        <span class="field-error" id={errorId(props.name)}>
          {messages.join("; ")}
        </span>
      ) : null}
    </>
  );
}

/** A labelled input with its hint and its validation message tied to it for screen readers. */
export function TextField(props: {
  state: FormState;
  name: string;
  label: string;
  type?: "text" | "url" | "datetime-local" | "password";
  hint?: string;
  required?: boolean;
  autocomplete?: string;
}) {
  const { state, name } = props;
  return (
    <div class="field">
      <label for={name}>{props.label}</label>
      <input
        id={name}
        name={name}
        type={props.type ?? "text"}
        value={props.type === "password" ? "" : textValue(state, name)}
        required={props.required}
        autocomplete={props.autocomplete}
        aria-invalid={state.errors.has(name) ? "true" : undefined}
        aria-describedby={describedBy(state, name, props.hint)}
      />
      <Messages state={state} name={name} hint={props.hint} />
    </div>
  );
}

export function TextArea(props: {
  state: FormState;
  name: string;
  label: string;
  hint?: string;
  rows?: number;
  required?: boolean;
}) {
  const { state, name } = props;
  return (
    <div class="field">
      <label for={name}>{props.label}</label>
      <textarea
        id={name}
        name={name}
        rows={props.rows ?? 4}
        required={props.required}
        aria-invalid={state.errors.has(name) ? "true" : undefined}
        aria-describedby={describedBy(state, name, props.hint)}
      >
        {textValue(state, name)}
      </textarea>
      <Messages state={state} name={name} hint={props.hint} />
    </div>
  );
}

export function SelectField(props: {
  state: FormState;
  name: string;
  label: string;
  options: readonly string[];
}) {
  const { state, name } = props;
  const chosen = textValue(state, name);
  return (
    <div class="field">
      <label for={name}>{props.label}</label>
      <select
        id={name}
        name={name}
        aria-invalid={state.errors.has(name) ? "true" : undefined}
        aria-describedby={describedBy(state, name, undefined)}
      >
        {props.options.map((option) => (
          <option value={option} selected={option === chosen}>
            {option}
          </option>
        ))}
      </select>
      <Messages state={state} name={name} />
    </div>
  );
}

/** A group of checkboxes (a story's feeds), with one message for the group. */
export function CheckboxGroup(props: {
  state: FormState;
  name: string;
  legend: string;
  options: readonly { value: string; label: string }[];
}) {
  const { state, name } = props;
  const raw = state.values[name];
  const chosen = typeof raw === "string" ? [raw] : (raw ?? []);
  return (
    <fieldset
      id={name}
      class="field"
      aria-invalid={state.errors.has(name) ? "true" : undefined}
      aria-describedby={describedBy(state, name, undefined)}
    >
      <legend>{props.legend}</legend>
      {props.options.map((option) => (
        <label class="check">
          <input
            type="checkbox"
            name={name}
            value={option.value}
            checked={chosen.includes(option.value)}
          />{" "}
          {option.label}
        </label>
      ))}
      <Messages state={state} name={name} />
    </fieldset>
  );
}

/** Every refusal at the top of the form, each linking to its field (focus lands here). */
export function ErrorSummary(props: {
  state: FormState;
  labels: Readonly<Record<string, string>>;
}) {
  const entries = [...props.state.errors.entries()];
  if (entries.length === 0) return null;
  return (
    <div class="error-summary" role="alert" tabindex={-1} id="error-summary">
      <h2>Nothing was saved: please correct {entries.length === 1 ? "this" : "these"}</h2>
      <ul>
        {entries.map(([field, messages]) => (
          <li>
            {field in props.labels ? (
              <a href={`#${field}`}>
                {props.labels[field]} {messages.join("; ")}
              </a>
            ) : (
              messages.join("; ")
            )}
          </li>
        ))}
      </ul>
    </div>
  );
}
