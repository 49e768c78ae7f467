import { type Context, Hono } from "hono";
import type { Logger } from "../logger.ts";
import type { AdminTokenRepository } from "../storage/admin-token-repository.ts";
import type { AuditLog } from "../storage/audit-log.ts";
import type { DeskSessionRepository } from "../storage/desk-session-repository.ts";
import { deliveryCounts } from "../web/desk/delivery-health.tsx";
import { DESK_CSS } from "../web/desk/desk-css.ts";
import { DESK_JS } from "../web/desk/desk-js.ts";
import { DESK_CSS_PATH, DESK_JS_PATH } from "../web/desk/desk-layout.tsx";
import { EMPTY_FORM, type FormState } from "../web/desk/form-fields.tsx";
import { MessagePage } from "../web/desk/message-page.tsx";
import { OverviewPage } from "../web/desk/overview-page.tsx";
import { ServersPage } from "../web/desk/servers-page.tsx";
import { SignInPage } from "../web/desk/sign-in-page.tsx";
import { tokenIdentifier } from "./admin-auth.ts";
import { deskFeedRoutes } from "./desk-feeds.routes.ts";
import { chromeOf, deskPage, doneRedirect, problemPage } from "./desk-pages.ts";
import {
  closeDeskSession,
  type DeskEnv,
  type DeskRefusal,
  deskSession,
  openDeskSession,
} from "./desk-session.ts";
import { type DeskStoryDeps, deskStoryRoutes } from "./desk-stories.routes.ts";
import { problem } from "./problem.ts";
import { createRateLimit } from "./rate-limit.ts";

export interface DeskDeps extends DeskStoryDeps {
  readonly sessions: DeskSessionRepository;
  readonly adminToken: string | undefined;
  readonly tokens?: Pick<AdminTokenRepository, "findLiveByHash"> | undefined;
  readonly audit?: AuditLog | undefined;
  readonly logger: Logger;
  readonly maxBodyBytes: number;
  readonly clientAddress: (c: Context) => string;
}

/** Days the overview's follower charts cover. */
const FOLLOWER_DAYS = 30;
const LATEST_STORIES = 10;
const SERVERS_PER_PAGE = 100;
const ASSET_HEADERS = {
  "cache-control": "public, max-age=3600",
  "x-content-type-options": "nosniff",
};

const REFUSALS: Record<DeskRefusal, { status: 403 | 415; message: string }> = {
  origin: { status: 403, message: "This form was sent from another site, so nothing was changed." },
  csrf: {
    status: 403,
    message:
      "This form is out of date (it belongs to another sign-in), so nothing was changed. Go back, reload the page and send it again.",
  },
  "media-type": {
    status: 415,
    message: "Desk forms are sent as application/x-www-form-urlencoded.",
  },
};

/**
 * `/desk`: the newsroom's pages (ADR 0008). Signing in with an admin token opens a session
 * (desk-session.ts); every action goes through the services and commands the admin API uses,
 * under the same scopes, and is recorded in the audit log under the token's name.
 */
export function deskRoutes(deps: DeskDeps) {
  const { siteName, sessions, clock, publicUrl } = deps;
  const routes = new Hono<DeskEnv>();
  const identify = tokenIdentifier(deps);
  const failures = createRateLimit({ points: 10, windowSeconds: 60, blockSeconds: 60 });
  const sessionOptions = { sessions, clock, publicUrl };

  routes.get(DESK_CSS_PATH.replace("/desk", ""), (c) =>
    c.body(DESK_CSS, 200, { "content-type": "text/css; charset=utf-8", ...ASSET_HEADERS }),
  );
  routes.get(DESK_JS_PATH.replace("/desk", ""), (c) =>
    c.body(DESK_JS, 200, { "content-type": "text/javascript; charset=utf-8", ...ASSET_HEADERS }),
  );

  routes.use(
    "*",
    deskSession(
      { ...sessionOptions, adminToken: deps.adminToken, maxBodyBytes: deps.maxBodyBytes },
      (c, why) =>
        deskPage(
          c,
          MessagePage({
            chrome: chromeOf(c, siteName),
            title: "Not accepted",
            message: REFUSALS[why].message,
          }),
          REFUSALS[why].status,
        ),
    ),
  );

  const signInPage = (c: Context<DeskEnv>, state: FormState, status: 200 | 401 | 429 = 200) =>
    deskPage(c, SignInPage({ siteName, state, notice: chromeOf(c, siteName).notice }), status);

  routes.get("/sign-in", (c) =>
    c.get("editor") ? c.redirect("/desk", 303) : signInPage(c, EMPTY_FORM),
  );

  routes.post("/sign-in", async (c) => {
    const address = deps.clientAddress(c);
    const refusedFor = (detail: string, status: 401 | 429) =>
      signInPage(c, { values: {}, errors: new Map([["token", [detail]]]) }, status);
    if ((await failures.peek(address)) > 0) {
      return refusedFor("has failed too often from this address; wait a minute", 429);
    }
    const presented = c.get("form").get("token")?.trim() ?? "";
    const token = presented ? await identify(presented) : undefined;
    if (!token) {
      await failures.take(address);
      return refusedFor(presented ? "is not a valid token" : "must not be empty", 401);
    }
    await openDeskSession(c, sessionOptions, token);
    return c.redirect("/desk", 303);
  });

  // Everything below needs a session; without one, the browser is sent to sign in.
  routes.use("*", async (c, next) => {
    if (!c.get("editor")) return c.redirect("/desk/sign-in", 303);
    await next();
    await recordWrite(c);
  });

  routes.post("/sign-out", async (c) => {
    await closeDeskSession(c, sessionOptions);
    return doneRedirect(c, "/desk/sign-in", "signed-out");
  });

  routes.get("/", async (c) => {
    const [feeds, latest, followers] = await Promise.all([
      deps.feeds.list(),
      deps.articles.list({ limit: LATEST_STORIES, includeDeleted: true }),
      deps.views?.desk.followersByFeed(clock.now(), FOLLOWER_DAYS) ?? [],
    ]);
    const stories = latest.ok ? latest.value.items : [];
    const now = clock.now().getTime();
    const last = stories.find((a) => !a.deletedAt && a.publishedAt.getTime() <= now);
    const summary = last && (await deps.views?.deliveries.deliverySummary(last.id));
    return deskPage(
      c,
      OverviewPage({
        chrome: chromeOf(c, siteName),
        feeds,
        followers,
        latest: stories,
        lastPublish:
          last && summary
            ? { article: last, counts: deliveryCounts(summary, last.revision) }
            : undefined,
      }),
    );
  });

  routes.get("/servers", async (c) => {
    const failingOnly = c.req.query("failing") === "1";
    const listed = await deps.views?.deliveries.remoteServers({
      failing: failingOnly,
      limit: SERVERS_PER_PAGE,
      cursor: c.req.query("cursor"),
    });
    if (listed && !listed.ok) {
      return problemPage(c, siteName, problem("notFound", "This page of servers does not exist"));
    }
    return deskPage(
      c,
      ServersPage({
        chrome: chromeOf(c, siteName),
        servers: listed?.value.items ?? [],
        failingOnly,
        nextCursor: listed?.value.nextCursor ?? null,
      }),
    );
  });

  routes.route("/", deskStoryRoutes(deps));
  routes.route("/feeds", deskFeedRoutes(deps));

  /** A desk write that was done (answered with its redirect) goes in the audit log. */
  async function recordWrite(c: Context<DeskEnv>) {
    const editor = c.get("editor");
    if (!deps.audit || !editor || c.req.method !== "POST" || c.res.status !== 303) return;
    if (c.req.path === "/desk/sign-out") return;
    const entry = {
      at: clock.now(),
      tokenName: editor.name,
      action: `POST ${c.req.path}`,
      target: c.res.headers.get("location") ?? c.req.path,
      status: c.res.status,
    };
    try {
      await deps.audit.record(entry);
    } catch (error) {
      deps.logger.error("desk write not recorded in the audit log", { ...entry, error });
    }
  }

  return routes;
}
