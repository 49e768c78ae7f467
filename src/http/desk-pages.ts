import type { Context } from "hono";
import type { z } from "zod";
import type { TokenScope } from "../domain/admin-token.ts";
import type { Result } from "../domain/result.ts";
import type { DeskChrome } from "../web/desk/desk-layout.tsx";
import { MessagePage } from "../web/desk/message-page.tsx";
import { renderPage } from "../web/layout.tsx";
import { type FormErrors, groupErrors, validateWith } from "./desk-forms.ts";
import type { DeskEnv } from "./desk-session.ts";
import { editorMay } from "./desk-session.ts";
import { PAGE_SECURITY_HEADERS } from "./negotiation.ts";
import { type Problem, ProblemError } from "./problem.ts";

export type DeskContext = Context<DeskEnv>;

/** Desk pages are private and change with every action: never stored by any cache. */
const DESK_HEADERS = { ...PAGE_SECURITY_HEADERS, "cache-control": "no-store" };

/** Confirmations after a redirect, by the `done` query parameter the action put there. */
const NOTICES: Readonly<Record<string, string>> = {
  "signed-out": "You are signed out.",
  published: "The story is pushed.",
  revised: "The revision is saved.",
  corrected: "The correction is published.",
  "update-posted": "The update is posted.",
  pinned: "The story is pinned.",
  unpinned: "The story is unpinned.",
  deleted: "The story is deleted.",
  "feed-created": "The feed is created.",
  "feed-saved": "The feed is saved.",
  "feed-closed": "The story feed is closed.",
};

export async function deskPage(
  c: DeskContext,
  node: { toString(): string | Promise<string> },
  status: 200 | 401 | 403 | 404 | 410 | 413 | 415 | 422 | 429 = 200,
): Promise<Response> {
  return c.html(await renderPage(node), status, DESK_HEADERS);
}

export function chromeOf(c: DeskContext, siteName: string): DeskChrome {
  const editor = c.get("editor");
  const done = c.req.query("done");
  return {
    siteName,
    editorName: editor?.name,
    csrfToken: editor?.csrfToken,
    notice: done ? NOTICES[done] : undefined,
  };
}

/** Post/Redirect/Get: a done action sends the browser to a page that says so. */
export function doneRedirect(c: DeskContext, path: string, done: string): Response {
  return c.redirect(`${path}?done=${encodeURIComponent(done)}`, 303);
}

/** A problem without field errors (not found, gone, forbidden) as a desk page. */
export function problemPage(c: DeskContext, siteName: string, problem: Problem) {
  const status = ([401, 403, 404, 410, 413, 415, 422, 429] as const).find(
    (s) => s === problem.status,
  );
  return deskPage(
    c,
    MessagePage({
      chrome: chromeOf(c, siteName),
      title: problem.title,
      message: problem.detail ?? problem.title,
    }),
    status ?? 422,
  );
}

/** 403 when the editor's token lacks the scope (the API's rule for the same action). */
export function scopeRefusal(c: DeskContext, siteName: string, scope: TokenScope) {
  const editor = c.get("editor");
  if (editor && editorMay(editor, scope)) return undefined;
  return deskPage(
    c,
    MessagePage({
      chrome: chromeOf(c, siteName),
      title: "Not allowed",
      message: `This needs a token with the ${scope} scope; you signed in with a ${editor?.scope ?? "missing"} token.`,
    }),
    403,
  );
}

/** One desk form's way through: the API's schema, the shared action, PRG or the form again. */
export interface FormSubmission<S extends z.ZodType, T, E> {
  readonly schema: S;
  /** The form as the admin API's JSON (desk-article-forms.ts). */
  readonly json: unknown;
  readonly run: (input: z.output<S>) => Promise<Result<T, E>>;
  /** The API's mapping of the action's expected failures (problem.ts). */
  readonly problemOf: (error: E) => Problem;
  /** The form again, with the editor's input and these messages (422). */
  readonly rerender: (errors: FormErrors) => Promise<Response>;
  /** Where the browser goes once it is done. */
  readonly done: (value: T) => Response;
}

/**
 * Validates with the API's schema and runs the action; field errors (the schema's, the shared
 * command's, or the domain's as the API maps them) re-render the form, other failures (not
 * found, gone) get a page, success redirects.
 */
export async function submitForm<S extends z.ZodType, T, E>(
  c: DeskContext,
  siteName: string,
  submission: FormSubmission<S, T, E>,
): Promise<Response> {
  const input = validateWith(submission.schema, submission.json);
  if (!input.ok) return submission.rerender(input.errors);
  const outcome = await attempt(() => submission.run(input.value));
  if (!outcome.ok) return submission.rerender(outcome.errors);
  const result = outcome.value;
  if (result.ok) return submission.done(result.value);
  const problem = submission.problemOf(result.error);
  return problem.errors
    ? submission.rerender(groupErrors(problem.errors))
    : problemPage(c, siteName, problem);
}

/**
 * Runs an action; a validation refusal from the shared commands (ProblemError with field
 * errors, e.g. a body too large after sanitising) comes back as form errors.
 */
async function attempt<T>(
  action: () => Promise<T>,
): Promise<{ ok: true; value: T } | { ok: false; errors: FormErrors }> {
  try {
    return { ok: true, value: await action() };
  } catch (error) {
    if (error instanceof ProblemError && error.problem.errors) {
      return { ok: false, errors: groupErrors(error.problem.errors) };
    }
    throw error;
  }
}
