import { Hono } from "hono";
import type { ArticleService } from "../domain/article-service.ts";
import type { FeedService } from "../domain/feed-service.ts";
import type { LiveUpdateService } from "../domain/live-update-service.ts";
import type { Clock } from "../domain/ports.ts";
import { articleUrl } from "../domain/urls.ts";
import { articleInput, articlePatch, liveUpdateInput } from "../schemas/article.schema.ts";
import type { Views } from "../storage/stores.ts";
import { strongEtag } from "../syndication/encoded-document.ts";
import { ComposePage } from "../web/desk/compose-page.tsx";
import { deliveryCounts, serverRow } from "../web/desk/delivery-health.tsx";
import { EMPTY_FORM, type FormState } from "../web/desk/form-fields.tsx";
import { StoryPage } from "../web/desk/story-page.tsx";
import type { ArticleCommands } from "./article-commands.ts";
import {
  articleFormValues,
  articleJsonOf,
  articlePatchJsonOf,
  correctionJsonOf,
  liveUpdateJsonOf,
} from "./desk-article-forms.ts";
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
import { articleErrorProblem, liveUpdateErrorProblem } from "./problem.ts";

export interface DeskStoryDeps {
  readonly articles: ArticleService;
  readonly liveUpdates?: LiveUpdateService | undefined;
  readonly commands: ArticleCommands;
  readonly feeds: FeedService;
  readonly views?: Views | undefined;
  readonly clock: Clock;
  readonly publicUrl: string;
  readonly siteName: string;
}

/** Servers listed on a story's page (the busiest stories' full list is in the admin API). */
const SERVERS_SHOWN = 200;

/** Compose, and a story's page with its actions; each through the admin API's commands. */
export function deskStoryRoutes(deps: DeskStoryDeps) {
  const { articles, commands, siteName } = deps;
  const routes = new Hono<DeskEnv>();
  const chrome = (c: DeskContext) => chromeOf(c, siteName);

  const composePage = async (c: DeskContext, state: FormState, status: 200 | 422 = 200) =>
    deskPage(
      c,
      ComposePage({
        chrome: { ...chrome(c), section: "compose" },
        feeds: await deps.feeds.list(),
        state,
      }),
      status,
    );

  routes.get("/compose", (c) => composePage(c, EMPTY_FORM));

  routes.post("/compose", async (c) => {
    const refused = scopeRefusal(c, siteName, "publish");
    if (refused) return refused;
    const form = c.get("form");
    const values = formValues(form, ["feeds"]);
    return submitForm(c, siteName, {
      schema: articleInput,
      json: articleJsonOf(form),
      run: (input) => commands.publish(input),
      problemOf: articleErrorProblem,
      rerender: (errors) => composePage(c, { values, errors }, 422),
      done: ({ article }) => doneRedirect(c, `/desk/stories/${article.id}`, "published"),
    });
  });

  const storyPage = async (
    c: DeskContext,
    refused?: { form: "update" | "correct"; state: FormState },
  ) => {
    const id = c.req.param("id") ?? "";
    const found = await articles.get(id);
    if (!found.ok) return problemPage(c, siteName, articleErrorProblem(found.error));
    const article = found.value;
    const [updates, revisions, reach, deliveries] = await Promise.all([
      deps.liveUpdates?.list(id),
      deps.views?.articleHistory.revisions(id) ?? [],
      deps.views?.desk.reach(id) ?? { likes: [], boosts: [], replies: [] },
      deps.views?.deliveries.deliveriesForArticle(id, { limit: SERVERS_SHOWN }),
    ]);
    return deskPage(
      c,
      StoryPage({
        chrome: chrome(c),
        article,
        articleUrl: articleUrl(deps.publicUrl, article.id),
        revisions,
        updates: updates?.ok ? updates.value : [],
        reach,
        delivery: deliveries?.ok
          ? {
              counts: deliveryCounts(deliveries.value.summary, article.revision),
              servers: deliveries.value.items.map(serverRow),
            }
          : undefined,
        refused,
      }),
      refused ? 422 : 200,
    );
  };

  routes.get("/stories/:id", (c) => storyPage(c));

  // The delivery panel's numbers, polled while a publish runs (desk-js.ts): mostly 304s.
  routes.get("/stories/:id/delivery.json", async (c) => {
    const id = c.req.param("id");
    const found = await articles.get(id);
    if (!found.ok || !deps.views) return c.json({ error: "no such story" }, 404);
    const deliveries = await deps.views.deliveries.deliveriesForArticle(id, {
      limit: SERVERS_SHOWN,
    });
    if (!deliveries.ok) return c.json({ error: "no such story" }, 404);
    const body = JSON.stringify({
      ...deliveryCounts(deliveries.value.summary, found.value.revision),
      servers: deliveries.value.items.map(serverRow),
    });
    const etag = await strongEtag(new TextEncoder().encode(body));
    const headers = { etag, "cache-control": "no-store" };
    if (c.req.header("if-none-match") === etag) return c.body(null, 304, headers);
    return c.body(body, 200, { ...headers, "content-type": "application/json" });
  });

  const editPage = async (c: DeskContext, state: FormState | undefined) => {
    const found = await articles.get(c.req.param("id") ?? "");
    if (!found.ok) return problemPage(c, siteName, articleErrorProblem(found.error));
    if (found.value.deletedAt)
      return problemPage(
        c,
        siteName,
        articleErrorProblem({ type: "article-deleted", id: found.value.id }),
      );
    return deskPage(
      c,
      ComposePage({
        chrome: chrome(c),
        feeds: await deps.feeds.list(),
        state: state ?? { values: articleFormValues(found.value), errors: new Map() },
        editing: { id: found.value.id, headline: found.value.headline },
      }),
      state ? 422 : 200,
    );
  };

  routes.get("/stories/:id/edit", (c) => editPage(c, undefined));

  /** A PATCH through the shared command; the form's errors re-render `rerender`. */
  const revise = (
    c: DeskContext,
    json: unknown,
    rerender: (errors: FormErrors) => Promise<Response>,
    done: string,
  ) => {
    const id = c.req.param("id") ?? "";
    return submitForm(c, siteName, {
      schema: articlePatch,
      json,
      run: (patch) => commands.update(id, patch),
      problemOf: articleErrorProblem,
      rerender,
      done: () => doneRedirect(c, `/desk/stories/${id}`, done),
    });
  };

  routes.post("/stories/:id/edit", async (c) => {
    const refused = scopeRefusal(c, siteName, "publish");
    if (refused) return refused;
    const form = c.get("form");
    const json = articlePatchJsonOf(form);
    const values = formValues(form, ["feeds"]);
    return revise(
      c,
      json,
      (errors) => editPage(c, { values, errors }),
      json.correction ? "corrected" : "revised",
    );
  });

  routes.post("/stories/:id/correct", async (c) => {
    const refused = scopeRefusal(c, siteName, "publish");
    if (refused) return refused;
    const form = c.get("form");
    const values = formValues(form);
    return revise(
      c,
      correctionJsonOf(form),
      (errors) => storyPage(c, { form: "correct", state: { values, errors } }),
      "corrected",
    );
  });

  routes.post("/stories/:id/pin", async (c) => {
    const refused = scopeRefusal(c, siteName, "publish");
    if (refused) return refused;
    const pinned = c.get("form").get("pinned") === "true";
    return revise(
      c,
      { pinned },
      (errors) =>
        problemPage(c, siteName, {
          type: "/problems/validation-failed",
          title: "Validation failed",
          status: 422,
          detail: [...errors.values()].flat().join("; "),
        }),
      pinned ? "pinned" : "unpinned",
    );
  });

  routes.post("/stories/:id/updates", async (c) => {
    const refused = scopeRefusal(c, siteName, "publish");
    if (refused) return refused;
    const id = c.req.param("id");
    const form = c.get("form");
    const values = formValues(form);
    const rerender = (errors: FormErrors) =>
      storyPage(c, { form: "update", state: { values, errors } });
    const liveUpdates = deps.liveUpdates;
    if (!liveUpdates)
      return problemPage(c, siteName, articleErrorProblem({ type: "article-not-found", id }));
    return submitForm(c, siteName, {
      schema: liveUpdateInput,
      json: liveUpdateJsonOf(form),
      run: (input) => commands.pushUpdate(liveUpdates, id, input),
      problemOf: liveUpdateErrorProblem,
      rerender,
      done: () => doneRedirect(c, `/desk/stories/${id}`, "update-posted"),
    });
  });

  routes.post("/stories/:id/delete", async (c) => {
    const refused = scopeRefusal(c, siteName, "admin");
    if (refused) return refused;
    const result = await articles.remove(c.req.param("id"));
    if (!result.ok) return problemPage(c, siteName, articleErrorProblem(result.error));
    return doneRedirect(c, "/desk", "deleted");
  });

  return routes;
}
