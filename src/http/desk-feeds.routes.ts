import { Hono } from "hono";
import type { FeedService } from "../domain/feed-service.ts";
import { feedInput, feedPatch } from "../schemas/feed.schema.ts";
import { FeedEditPage, FeedsPage } from "../web/desk/feeds-page.tsx";
import { EMPTY_FORM, type FormState } from "../web/desk/form-fields.tsx";
import { feedFormValues, feedJsonOf, feedPatchJsonOf } from "./desk-article-forms.ts";
import { type FormErrors, formValues } from "./desk-forms.ts";
import {
  chromeOf,
  type DeskContext,
  deskPage,
  doneRedirect,
  problemPage,
  scopeRefusal,
  submitForm,
} from "./desk-pages.ts";
import type { DeskEnv } from "./desk-session.ts";
import { feedErrorProblem } from "./problem.ts";

/** `/desk/feeds`: create, edit and close story feeds, through the admin API's FeedService. */
export function deskFeedRoutes(deps: { feeds: FeedService; siteName: string }) {
  const { feeds, siteName } = deps;
  const routes = new Hono<DeskEnv>();
  const chrome = (c: DeskContext) => chromeOf(c, siteName);

  const listPage = async (c: DeskContext, state: FormState, status: 200 | 409 | 422 = 200) =>
    deskPage(
      c,
      FeedsPage({ chrome: chrome(c), feeds: await feeds.list(), state }),
      status === 409 ? 422 : status,
    );

  routes.get("/", (c) =>
    listPage(c, { values: { kind: "story", language: "en" }, errors: new Map() }),
  );

  routes.post("/", async (c) => {
    const refused = scopeRefusal(c, siteName, "admin");
    if (refused) return refused;
    const form = c.get("form");
    const values = formValues(form);
    return submitForm(c, siteName, {
      schema: feedInput,
      json: feedJsonOf(form),
      run: (input) => feeds.create(input),
      problemOf: feedErrorProblem,
      rerender: (errors) => listPage(c, { values, errors }, 422),
      done: () => doneRedirect(c, "/desk/feeds", "feed-created"),
    });
  });

  const editPage = async (c: DeskContext, state: FormState | undefined) => {
    const found = await feeds.get(c.req.param("slug") ?? "");
    if (!found.ok) return problemPage(c, siteName, feedErrorProblem(found.error));
    return deskPage(
      c,
      FeedEditPage({
        chrome: chrome(c),
        feed: found.value,
        state: state ?? { values: feedFormValues(found.value), errors: new Map() },
      }),
      state ? 422 : 200,
    );
  };

  routes.get("/:slug", (c) => editPage(c, undefined));

  const patch = async (
    c: DeskContext,
    json: unknown,
    rerender: (errors: FormErrors) => Promise<Response>,
    done: string,
  ) => {
    const refused = scopeRefusal(c, siteName, "admin");
    if (refused) return refused;
    return submitForm(c, siteName, {
      schema: feedPatch,
      json,
      run: (input) => feeds.update(c.req.param("slug") ?? "", input),
      problemOf: feedErrorProblem,
      rerender,
      done: () => doneRedirect(c, "/desk/feeds", done),
    });
  };

  routes.post("/:slug", (c) => {
    const form = c.get("form");
    const values = formValues(form);
    return patch(
      c,
      feedPatchJsonOf(form),
      (errors) => editPage(c, { values, errors }),
      "feed-saved",
    );
  });

  routes.post("/:slug/close", (c) =>
    patch(
      c,
      { status: "closed" },
      (errors) => listPage(c, { ...EMPTY_FORM, errors }, 422),
      "feed-closed",
    ),
  );

  return routes;
}
