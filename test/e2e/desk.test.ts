import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DESK_SESSION_MS } from "../../src/http/desk-session.ts";
import type { ArticleOutput, LiveUpdateOutput } from "../../src/schemas/article.schema.ts";
import { createDeliveryRecordStore } from "../../src/storage/delivery-record-store.ts";
import { DATABASE_KINDS } from "../support/databases.ts";
import { type DeskClient, deskClient, fieldError, storyIdOf } from "../support/desk-client.ts";
import { createTestApp, fixedClock, type TestApp } from "../support/test-app.ts";

interface ProblemJson {
  status: number;
  errors?: { pointer: string; detail: string }[];
}

/** What two pushes of the same story must share: everything but identity and creation time. */
function comparable(article: ArticleOutput) {
  const { id: _id, url: _url, createdAt: _createdAt, corrections, ...rest } = article;
  return { ...rest, corrections: corrections.map(({ note, revision }) => ({ note, revision })) };
}

const STORY_FORM = {
  headline: "Ministers meet in Geneva",
  standfirst: "Talks resume after a month.",
  bodyHtml: '<p>Talks <a href="/more">resume</a>.</p><script>alert(1)</script>',
  author: "Jo Reporter",
  imageUrl: "https://media.example/geneva.jpg",
  imageAlt: "Delegates around a table",
  tags: "diplomacy, geneva",
  feeds: ["world", "us-russia-syria"],
  publishedAt: "",
};

const STORY_JSON = {
  headline: STORY_FORM.headline,
  standfirst: STORY_FORM.standfirst,
  bodyHtml: STORY_FORM.bodyHtml,
  authors: [{ name: "Jo Reporter" }],
  image: { url: STORY_FORM.imageUrl, alt: STORY_FORM.imageAlt },
  tags: ["diplomacy", "geneva"],
  feeds: STORY_FORM.feeds,
};

describe.each(DATABASE_KINDS)("the newsroom desk (%s)", (kind) => {
  let t: TestApp;
  const clock = fixedClock(new Date("2026-12-07T09:00:00Z"));
  let desk: DeskClient;

  beforeAll(async () => {
    t = await createTestApp(kind, { clock });
    desk = deskClient(t.app);
    expect((await desk.signIn()).location).toBe("/desk");
  });
  afterAll(async () => {
    await t?.destroy();
  });

  const articleJson = async (id: string) =>
    (await (await t.admin("GET", `/admin/articles/${id}`)).json()) as ArticleOutput;
  const compose = async (fields: Record<string, string | readonly string[]>) => {
    await desk.get("/desk/compose");
    return desk.post("/desk/compose", fields);
  };
  const apiErrors = async (method: string, path: string, body: unknown) => {
    const response = await t.admin(method, path, body);
    expect(response.status).toBe(422);
    return ((await response.json()) as ProblemJson).errors ?? [];
  };

  describe("sessions", () => {
    it("sends a visitor without a session to sign in, and refuses a wrong token", async () => {
      const stranger = deskClient(t.app);
      const overview = await stranger.get("/desk");
      expect(overview.status).toBe(303);
      expect(overview.location).toBe("/desk/sign-in");
      const form = await stranger.get("/desk/sign-in");
      expect(form.status).toBe(200);
      expect(form.html).toContain('<label for="token">Admin token</label>');
      const wrong = await stranger.signIn("not-a-token");
      expect(wrong.status).toBe(401);
      expect(fieldError(wrong.html, "token")).toBe("is not a valid token");
      expect(wrong.html).toContain('aria-invalid="true"');
      expect(wrong.html).toContain('aria-describedby="token-hint token-error"');
      expect(stranger.cookie).toBe("");
    });

    it("opens a session with an HttpOnly, SameSite=Strict, Secure cookie and stores only its hash", async () => {
      const editor = deskClient(t.app);
      const response = await t.app.request("/desk/sign-in", {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ token: "test-admin-token-0123456789abcdef" }).toString(),
      });
      expect(response.status).toBe(303);
      const setCookie = response.headers.get("set-cookie") ?? "";
      expect(setCookie).toMatch(/^__Host-tidings-desk=[0-9a-f]{64};/);
      expect(setCookie).toMatch(/HttpOnly/);
      expect(setCookie).toMatch(/SameSite=Strict/);
      expect(setCookie).toMatch(/Secure/);
      expect(setCookie).toMatch(/Path=\//);
      const sessionId = /=([0-9a-f]{64});/.exec(setCookie)?.[1] ?? "";
      const rows = await t.database.db.selectFrom("deskSessions").selectAll().execute();
      expect(rows.length).toBeGreaterThan(0);
      expect(rows.map((row) => row.idHash)).not.toContain(sessionId);
      expect(rows.every((row) => row.tokenId === null && row.tokenName === "ADMIN_TOKEN")).toBe(
        true,
      );
      expect(editor.cookie).toBe("");
    });

    it("ends a session when it expires", async () => {
      const editor = deskClient(t.app);
      await editor.signIn();
      expect((await editor.get("/desk")).status).toBe(200);
      clock.advance(DESK_SESSION_MS + 1000);
      try {
        const after = await editor.get("/desk");
        expect(after.status).toBe(303);
        expect(after.location).toBe("/desk/sign-in");
      } finally {
        // The suite's own session was opened at the start: open a fresh one at the new time.
        desk = deskClient(t.app);
        await desk.signIn();
      }
    });

    it("signs out: the session row and the cookie are gone", async () => {
      const editor = deskClient(t.app);
      await editor.signIn();
      const before = await t.database.db.selectFrom("deskSessions").select("idHash").execute();
      await editor.get("/desk");
      const out = await editor.post("/desk/sign-out");
      expect(out.status).toBe(303);
      expect(out.location).toBe("/desk/sign-in?done=signed-out");
      expect(out.headers.get("set-cookie")).toMatch(/Max-Age=0/);
      const after = await t.database.db.selectFrom("deskSessions").select("idHash").execute();
      expect(after.length).toBeLessThan(before.length);
      expect((await editor.get("/desk")).location).toBe("/desk/sign-in");
      expect((await editor.get("/desk/sign-in?done=signed-out")).html).toContain(
        "You are signed out.",
      );
    });

    it("ends a stored token's sessions when the token is revoked, and applies its scope", async () => {
      const created = await t.admin("POST", "/admin/tokens", {
        name: "night-desk",
        scope: "publish",
      });
      const { token, id } = (await created.json()) as { token: string; id: string };
      const editor = deskClient(t.app);
      expect((await editor.signIn(token)).location).toBe("/desk");
      const row = await t.database.db
        .selectFrom("deskSessions")
        .selectAll()
        .where("tokenId", "=", id)
        .executeTakeFirstOrThrow();
      expect(row.tokenName).toBe("night-desk");

      // publish may push, but not create feeds (the API's scope for POST /admin/feeds).
      await editor.get("/desk/feeds");
      const feed = await editor.post("/desk/feeds", {
        slug: "night-story",
        title: "Night",
        kind: "story",
      });
      expect(feed.status).toBe(403);
      expect(feed.html).toContain("This needs a token with the admin scope");
      expect((await t.admin("GET", "/admin/feeds/night-story")).status).toBe(404);
      // ... and may push a story, but not delete it (DELETE /admin/articles/ID needs admin).
      await editor.get("/desk/compose");
      const pushed = await editor.post("/desk/compose", { ...STORY_FORM, headline: "Night news" });
      const nightStory = storyIdOf(pushed.location);
      await editor.get(`/desk/stories/${nightStory}`);
      expect((await editor.post(`/desk/stories/${nightStory}/delete`)).status).toBe(403);
      expect((await articleJson(nightStory)).status).toBe("published");
      const audit = (await (await t.admin("GET", "/admin/audit")).json()) as {
        items: { tokenName: string; action: string }[];
      };
      expect(audit.items[0]).toMatchObject({
        tokenName: "night-desk",
        action: "POST /desk/compose",
      });

      expect((await t.admin("DELETE", `/admin/tokens/${id}`)).status).toBeLessThan(300);
      expect((await editor.get("/desk")).location).toBe("/desk/sign-in");
    });

    it("refuses a POST without the session's CSRF token, or from another origin, and writes nothing", async () => {
      const before = await t.database.db.selectFrom("articles").select("id").execute();
      await desk.get("/desk/compose");
      const fields = { ...STORY_FORM, headline: "Forged" };
      const noToken = await desk.post("/desk/compose", { ...fields, _csrf: "" });
      expect(noToken.status).toBe(403);
      expect(noToken.html).toContain("This form is out of date");
      const otherToken = await desk.post("/desk/compose", { ...fields, _csrf: "0".repeat(64) });
      expect(otherToken.status).toBe(403);
      const foreign = await desk.post("/desk/compose", fields, { origin: "https://evil.example" });
      expect(foreign.status).toBe(403);
      expect(foreign.html).toContain("sent from another site");
      const crossSite = await desk.post("/desk/compose", fields, {
        origin: "",
        "sec-fetch-site": "cross-site",
      });
      expect(crossSite.status).toBe(403);
      const after = await t.database.db.selectFrom("articles").select("id").execute();
      expect(after.length).toBe(before.length);
    });
  });

  describe("compose", () => {
    it("stores a story exactly as the admin API stores the same story", async () => {
      const pushed = await compose(STORY_FORM);
      expect(pushed.status).toBe(303);
      const id = storyIdOf(pushed.location);
      expect(pushed.location).toBe(`/desk/stories/${id}?done=published`);
      const viaApi = await t.admin("POST", "/admin/articles", STORY_JSON);
      expect(viaApi.status).toBe(201);
      const apiArticle = (await viaApi.json()) as ArticleOutput;
      const deskArticle = await articleJson(id);
      expect(comparable(deskArticle)).toEqual(comparable(apiArticle));
      expect(deskArticle.bodyHtml).not.toContain("script");
      const outbox = await t.database.db
        .selectFrom("federationOutbox")
        .select(["kind", "feedSlug", "revision"])
        .where("articleId", "in", [id, apiArticle.id])
        .execute();
      expect(outbox.filter((row) => row.kind === "create").length).toBe(4);
      const page = await desk.get(pushed.location ?? "");
      expect(page.status).toBe(200);
      expect(page.html).toContain("The story is pushed.");
      expect(page.html).toContain(STORY_FORM.headline);
    });

    it("shows the API's validation messages next to each field, keeps the input, and stores nothing", async () => {
      const before = await t.database.db.selectFrom("articles").select("id").execute();
      const form = {
        ...STORY_FORM,
        headline: "   ",
        imageAlt: "",
        feeds: [],
        publishedAt: "yesterday",
        tags: "x".repeat(101),
      };
      const refused = await compose(form);
      expect(refused.status).toBe(422);
      const errors = await apiErrors("POST", "/admin/articles", {
        ...STORY_JSON,
        headline: "   ",
        image: { url: STORY_FORM.imageUrl, alt: "" },
        feeds: [],
        publishedAt: "yesterday",
        tags: ["x".repeat(101)],
      });
      const byField: Record<string, string> = {
        "/headline": "headline",
        "/image/alt": "imageAlt",
        "/feeds": "feeds",
        "/publishedAt": "publishedAt",
        "/tags/0": "tags",
      };
      expect(errors.map((e) => e.pointer).sort()).toEqual(Object.keys(byField).sort());
      for (const error of errors) {
        expect(fieldError(refused.html, byField[error.pointer] ?? "")).toBe(error.detail);
      }
      expect(refused.html).toContain('id="headline"');
      expect(refused.html).toMatch(/id="imageAlt"[^>]*aria-invalid="true"/);
      expect(refused.html).toContain('role="alert"');
      expect(refused.html).toContain(`value="${STORY_FORM.imageUrl}"`);
      const after = await t.database.db.selectFrom("articles").select("id").execute();
      expect(after.length).toBe(before.length);
    });

    it("names an unknown feed as the API does", async () => {
      const refused = await compose({ ...STORY_FORM, feeds: ["no-such-feed"] });
      expect(refused.status).toBe(422);
      const errors = await apiErrors("POST", "/admin/articles", {
        ...STORY_JSON,
        feeds: ["no-such-feed"],
      });
      expect(fieldError(refused.html, "feeds")).toBe(errors[0]?.detail);
    });
  });

  describe("story actions", () => {
    /** The same story twice: one handled through the desk, one through the API. */
    async function twins() {
      const viaDesk = storyIdOf((await compose(STORY_FORM)).location);
      const response = await t.admin("POST", "/admin/articles", STORY_JSON);
      const viaApi = ((await response.json()) as ArticleOutput).id;
      return { viaDesk, viaApi };
    }

    it("edits with a correction, as PATCH /admin/articles/ID does", async () => {
      const { viaDesk, viaApi } = await twins();
      const edit = await desk.get(`/desk/stories/${viaDesk}/edit`);
      expect(edit.html).toContain(`value="${STORY_FORM.headline}"`);
      const saved = await desk.post(`/desk/stories/${viaDesk}/edit`, {
        ...STORY_FORM,
        headline: "Ministers meet in Geneva, again",
        correction: "An earlier version misdated the talks.",
      });
      expect(saved.status).toBe(303);
      expect(saved.location).toBe(`/desk/stories/${viaDesk}?done=corrected`);
      const patched = await t.admin("PATCH", `/admin/articles/${viaApi}`, {
        ...STORY_JSON,
        headline: "Ministers meet in Geneva, again",
        standfirst: STORY_FORM.standfirst,
        correction: "An earlier version misdated the talks.",
      });
      expect(patched.status).toBe(200);
      expect(comparable(await articleJson(viaDesk))).toEqual(comparable(await articleJson(viaApi)));
      const page = await desk.get(`/desk/stories/${viaDesk}`);
      expect(page.html).toContain("Correction: An earlier version misdated the talks.");
    });

    it("refuses an empty headline on edit with the API's message", async () => {
      const { viaDesk } = await twins();
      await desk.get(`/desk/stories/${viaDesk}/edit`);
      const refused = await desk.post(`/desk/stories/${viaDesk}/edit`, {
        ...STORY_FORM,
        headline: "",
      });
      expect(refused.status).toBe(422);
      const errors = await apiErrors("PATCH", `/admin/articles/${viaDesk}`, { headline: "" });
      expect(fieldError(refused.html, "headline")).toBe(errors[0]?.detail);
      expect((await articleJson(viaDesk)).revision).toBe(1);
    });

    it("publishes a correction note, as the API does", async () => {
      const { viaDesk, viaApi } = await twins();
      await desk.get(`/desk/stories/${viaDesk}`);
      const empty = await desk.post(`/desk/stories/${viaDesk}/correct`, { correction: " " });
      expect(empty.status).toBe(422);
      const errors = await apiErrors("PATCH", `/admin/articles/${viaDesk}`, { correction: " " });
      expect(fieldError(empty.html, "correction")).toBe(errors[0]?.detail);
      const done = await desk.post(`/desk/stories/${viaDesk}/correct`, {
        correction: "The talks are in Geneva.",
      });
      expect(done.location).toBe(`/desk/stories/${viaDesk}?done=corrected`);
      await t.admin("PATCH", `/admin/articles/${viaApi}`, {
        correction: "The talks are in Geneva.",
      });
      expect(comparable(await articleJson(viaDesk))).toEqual(comparable(await articleJson(viaApi)));
    });

    it("adds an update, as POST /admin/articles/ID/updates does", async () => {
      const { viaDesk, viaApi } = await twins();
      await desk.get(`/desk/stories/${viaDesk}`);
      const empty = await desk.post(`/desk/stories/${viaDesk}/updates`, {
        headline: "",
        bodyHtml: " ",
      });
      expect(empty.status).toBe(422);
      const errors = await apiErrors("POST", `/admin/articles/${viaDesk}/updates`, {
        bodyHtml: " ",
      });
      expect(fieldError(empty.html, "bodyHtml")).toBe(errors[0]?.detail);
      const update = { headline: "Talks adjourn", bodyHtml: "<p>Back tomorrow.</p>" };
      const posted = await desk.post(`/desk/stories/${viaDesk}/updates`, update);
      expect(posted.location).toBe(`/desk/stories/${viaDesk}?done=update-posted`);
      expect((await t.admin("POST", `/admin/articles/${viaApi}/updates`, update)).status).toBe(201);
      const updatesOf = async (id: string) => {
        const list = (await (await t.admin("GET", `/admin/articles/${id}/updates`)).json()) as {
          items: LiveUpdateOutput[];
        };
        return list.items.map(({ headline, bodyHtml, status, revision }) => ({
          headline,
          bodyHtml,
          status,
          revision,
        }));
      };
      expect(await updatesOf(viaDesk)).toEqual(await updatesOf(viaApi));
      expect((await updatesOf(viaDesk)).length).toBe(1);
      expect(comparable(await articleJson(viaDesk))).toEqual(comparable(await articleJson(viaApi)));
      expect((await desk.get(`/desk/stories/${viaDesk}`)).html).toContain("Talks adjourn");
    });

    it("pins and deletes, as the API does", async () => {
      const { viaDesk, viaApi } = await twins();
      await desk.get(`/desk/stories/${viaDesk}`);
      const pinned = await desk.post(`/desk/stories/${viaDesk}/pin`, { pinned: "true" });
      expect(pinned.location).toBe(`/desk/stories/${viaDesk}?done=pinned`);
      await t.admin("PATCH", `/admin/articles/${viaApi}`, { pinned: true });
      expect((await articleJson(viaDesk)).pinned).toBe(true);
      expect(comparable(await articleJson(viaDesk))).toEqual(comparable(await articleJson(viaApi)));

      const deleted = await desk.post(`/desk/stories/${viaDesk}/delete`);
      expect(deleted.location).toBe("/desk?done=deleted");
      expect((await t.admin("DELETE", `/admin/articles/${viaApi}`)).status).toBe(204);
      expect(comparable(await articleJson(viaDesk))).toEqual(comparable(await articleJson(viaApi)));
      expect((await articleJson(viaDesk)).status).toBe("deleted");
      expect((await t.get(`/articles/${viaDesk}`, { accept: "text/html" })).status).toBe(410);
    });

    it("answers a missing story with a 404 page", async () => {
      const missing = await desk.get("/desk/stories/00000000-0000-7000-8000-000000000000");
      expect(missing.status).toBe(404);
      expect(missing.html).toContain("No article with id");
    });
  });

  describe("feeds", () => {
    const feedOf = async (slug: string) => {
      const json = (await (await t.admin("GET", `/admin/feeds/${slug}`)).json()) as Record<
        string,
        unknown
      >;
      const {
        slug: _slug,
        handle: _h,
        urls: _urls,
        createdAt: _c,
        updatedAt: _u,
        closedAt,
        ...rest
      } = json;
      return { ...rest, closed: closedAt !== null };
    };

    it("creates, edits and closes a story feed, as the API does", async () => {
      await desk.get("/desk/feeds");
      const fields = {
        slug: "geneva-talks",
        kind: "story",
        title: "Geneva talks",
        description: "Peace talks in Geneva.",
        language: "en",
      };
      const created = await desk.post("/desk/feeds", fields);
      expect(created.location).toBe("/desk/feeds?done=feed-created");
      const { slug: _slug, ...apiFields } = fields;
      expect(
        (await t.admin("POST", "/admin/feeds", { slug: "geneva-talks-api", ...apiFields })).status,
      ).toBe(201);
      expect(await feedOf("geneva-talks")).toEqual(await feedOf("geneva-talks-api"));

      await desk.get("/desk/feeds/geneva-talks");
      const edited = await desk.post("/desk/feeds/geneva-talks", {
        ...apiFields,
        title: "Geneva peace talks",
        status: "open",
      });
      expect(edited.location).toBe("/desk/feeds?done=feed-saved");
      await t.admin("PATCH", "/admin/feeds/geneva-talks-api", {
        ...apiFields,
        title: "Geneva peace talks",
        status: "open",
      });
      expect(await feedOf("geneva-talks")).toEqual(await feedOf("geneva-talks-api"));

      const list = await desk.get("/desk/feeds");
      expect(list.html).toContain('aria-label="Close Geneva peace talks"');
      const closed = await desk.post("/desk/feeds/geneva-talks/close");
      expect(closed.location).toBe("/desk/feeds?done=feed-closed");
      await t.admin("PATCH", "/admin/feeds/geneva-talks-api", { status: "closed" });
      expect(await feedOf("geneva-talks")).toEqual(await feedOf("geneva-talks-api"));
      expect((await feedOf("geneva-talks")).closed).toBe(true);
    });

    it("shows the API's messages for a reserved or taken slug and a bad language", async () => {
      await desk.get("/desk/feeds");
      const reserved = await desk.post("/desk/feeds", {
        slug: "desk",
        kind: "story",
        title: "",
        language: "english",
      });
      expect(reserved.status).toBe(422);
      const errors = await apiErrors("POST", "/admin/feeds", {
        slug: "desk",
        kind: "story",
        title: "",
        language: "english",
      });
      expect(errors.map((e) => e.pointer).sort()).toEqual(["/language", "/slug", "/title"]);
      for (const error of errors) {
        expect(fieldError(reserved.html, error.pointer.slice(1))).toBe(error.detail);
      }
      expect(fieldError(reserved.html, "slug")).toBe("is reserved for the service's own pages");
      const taken = await desk.post("/desk/feeds", {
        slug: "world",
        kind: "story",
        title: "World again",
      });
      expect(taken.status).toBe(422);
      expect(fieldError(taken.html, "slug")).toBe("is taken");

      await desk.get("/desk/feeds/world");
      const badEdit = await desk.post("/desk/feeds/world", {
        title: "",
        kind: "section",
        language: "en",
        status: "open",
      });
      expect(badEdit.status).toBe(422);
      expect(fieldError(badEdit.html, "title")).toBe("must not be empty");
    });
  });

  describe("overview and servers", () => {
    it("lists each feed with its followers over 30 days, and the latest stories", async () => {
      const day = (offset: number) =>
        new Date(clock.now().getTime() - offset * 24 * 60 * 60 * 1000);
      await t.database.db
        .insertInto("followers")
        .values([
          {
            feedSlug: "world",
            actorId: "https://a.example/users/1",
            inboxUrl: "https://a.example/inbox",
            sharedInboxUrl: null,
            followId: null,
            createdAt: day(40),
          },
          {
            feedSlug: "world",
            actorId: "https://a.example/users/2",
            inboxUrl: "https://a.example/inbox",
            sharedInboxUrl: null,
            followId: null,
            createdAt: day(3),
          },
          {
            feedSlug: "world",
            actorId: "https://b.example/users/3",
            inboxUrl: "https://b.example/inbox",
            sharedInboxUrl: null,
            followId: null,
            createdAt: day(0),
          },
          {
            feedSlug: "us-russia-syria",
            actorId: "https://b.example/users/3",
            inboxUrl: "https://b.example/inbox",
            sharedInboxUrl: null,
            followId: null,
            createdAt: day(1),
          },
        ])
        .execute();
      const history = await t.deps.views.desk.followersByFeed(clock.now(), 30);
      const world = history.find((f) => f.feedSlug === "world");
      expect(world?.followers).toBe(3);
      expect(world?.history.length).toBe(30);
      expect(world?.history[0]?.count).toBe(1);
      expect(world?.history.at(-5)?.count).toBe(1);
      expect(world?.history.at(-4)?.count).toBe(2);
      expect(world?.history.at(-2)?.count).toBe(2);
      expect(world?.history.at(-1)?.count).toBe(3);

      const overview = await desk.get("/desk");
      expect(overview.status).toBe(200);
      expect(overview.html).toContain("3 followers");
      expect(overview.html).toContain("Followers of World, last 30 days: the numbers");
      expect(overview.html).toContain(STORY_FORM.headline);
      expect(overview.headers.get("cache-control")).toBe("no-store");
      expect(overview.headers.get("content-security-policy")).toContain("script-src 'self'");
    });

    it("shows a publish's delivery per server, live through its JSON with an ETag", async () => {
      clock.advance(60_000);
      const id = storyIdOf(
        (await compose({ ...STORY_FORM, headline: "Delivery watched" })).location,
      );
      const article = await articleJson(id);
      const store = createDeliveryRecordStore(t.database.db);
      await store.recordQueued(
        {
          activityId: `${id}#create-1`,
          articleId: id,
          revision: article.revision,
          feedSlug: "world",
          kind: "create",
          inboxesByHost: new Map([
            ["a.example", 1],
            ["b.example", 1],
          ]),
        },
        clock.now(),
      );
      const page = await desk.get(`/desk/stories/${id}`);
      expect(page.html).toContain(`data-delivery="/desk/stories/${id}/delivery.json"`);
      expect(page.html).toMatch(/<span data-count="pending">2<\/span>/);
      expect(page.html).toMatch(/<th scope="row">a\.example<\/th><td>pending<\/td>/);

      const first = await t.get(`/desk/stories/${id}/delivery.json`, { cookie: desk.cookie });
      expect(first.status).toBe(200);
      const etag = first.headers.get("etag") ?? "";
      expect(await first.json()).toMatchObject({
        delivered: 0,
        failed: 0,
        pending: 2,
        total: 2,
        revision: 1,
        current: true,
      });
      const same = await t.get(`/desk/stories/${id}/delivery.json`, {
        cookie: desk.cookie,
        "if-none-match": etag,
      });
      expect(same.status).toBe(304);

      const outcome = (host: string, status: string) => ({
        activityId: `${id}#create-1`,
        host,
        delivered: status === "202" ? 1 : 0,
        givenUp: 0,
        attempts: 1,
        lastStatus: status,
        lastAttemptAt: clock.now(),
        lastSuccessAt: status === "202" ? clock.now() : null,
        lastFailureAt: status === "202" ? null : clock.now(),
      });
      await store.recordOutcomes([outcome("a.example", "202"), outcome("b.example", "503")]);
      const changed = await t.get(`/desk/stories/${id}/delivery.json`, {
        cookie: desk.cookie,
        "if-none-match": etag,
      });
      expect(changed.status).toBe(200);
      expect(await changed.json()).toMatchObject({
        delivered: 1,
        failed: 1,
        pending: 0,
        total: 2,
        revision: 1,
        current: true,
        servers: [
          {
            host: "a.example",
            state: "delivered",
            inboxes: "1 of 1",
            lastAnswer: "202",
            attempts: "1",
          },
          {
            host: "b.example",
            state: "failed",
            inboxes: "0 of 1",
            lastAnswer: "503",
            attempts: "1",
          },
        ],
      });
      const stranger = await t.get(`/desk/stories/${id}/delivery.json`);
      expect(stranger.status).toBe(303);

      const overview = await desk.get("/desk");
      expect(overview.html).toContain("Last publish:");
      expect(overview.html).toContain("Delivery finished: 1 of 2 servers.");

      const servers = await desk.get("/desk/servers");
      expect(servers.status).toBe(200);
      expect(servers.html).toMatch(/<th scope="row">a\.example<\/th><td>2<\/td>/);
      expect(servers.html).toMatch(
        /<th scope="row">b\.example<span class="failing"> \(failing\)<\/span><\/th><td>2<\/td>/,
      );
      const failing = await desk.get("/desk/servers?failing=1");
      expect(failing.html).toContain("b.example");
      expect(failing.html).not.toContain("a.example");
      expect(failing.html).toContain("(last: 503)");
    });

    it("serves its stylesheet and script itself", async () => {
      const css = await t.get("/desk/assets/desk.css");
      expect(css.status).toBe(200);
      expect(css.headers.get("content-type")).toContain("text/css");
      const js = await t.get("/desk/assets/desk.js");
      expect(js.status).toBe(200);
      expect(await js.text()).toContain("error-summary");
    });

    it("records desk writes in the audit log under the token's name", async () => {
      const audit = (await (await t.admin("GET", "/admin/audit")).json()) as {
        items: { tokenName: string; action: string }[];
      };
      expect(
        audit.items.some((e) => e.tokenName === "ADMIN_TOKEN" && e.action === "POST /desk/compose"),
      ).toBe(true);
    });
  });
});
