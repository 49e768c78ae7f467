import { XMLValidator } from "fast-xml-parser";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../src/app.ts";
import { createDeps } from "../../src/deps.ts";
import { createFederationRuntime } from "../../src/federation/runtime.ts";
import { FEEDS_PER_FRONT_PAGE } from "../../src/http/pages.routes.ts";
import { silentLogger } from "../../src/logger.ts";
import type { ArticleOutput } from "../../src/schemas/article.schema.ts";
import { createInteractionRepository } from "../../src/storage/interaction-repository.ts";
import { createStores } from "../../src/storage/stores.ts";
import { fixtureStoryPush } from "../support/fixture-push.ts";
import { ADMIN_TOKEN, createTestApp, PUBLIC_URL, type TestApp } from "../support/test-app.ts";

const BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
const AP_JSON = "application/activity+json";
const AP_LD = 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"';

/** Every `<meta>` of a page as name/property -> contents (repeated names keep every value). */
function metaTags(html: string): Map<string, string[]> {
  const tags = new Map<string, string[]>();
  for (const match of html.matchAll(/<meta (name|property)="([^"]+)" content="([^"]*)"\/>/g)) {
    const [, , key, content] = match;
    if (key === undefined || content === undefined) continue;
    tags.set(key, [...(tags.get(key) ?? []), content]);
  }
  return tags;
}

function expectPageHeaders(response: Response) {
  expect(response.headers.get("content-type")).toMatch(/^text\/html; charset=utf-8$/i);
  const csp = response.headers.get("content-security-policy") ?? "";
  expect(csp).toContain("default-src 'none'");
  expect(csp).toContain("script-src 'self'");
  expect(csp).toContain("style-src 'self'");
  expect(csp).not.toContain("unsafe-inline");
  expect(response.headers.get("x-content-type-options")).toBe("nosniff");
}

describe("reader pages", () => {
  let t: TestApp;
  let story: ArticleOutput;
  let tricky: ArticleOutput;
  let removed: ArticleOutput;

  beforeAll(async () => {
    t = await createTestApp("pglite", { config: { siteName: "The Daily Example" } });
    const push = async (body: unknown) => {
      const response = await t.admin("POST", "/admin/articles", body);
      expect(response.status).toBe(201);
      return (await response.json()) as ArticleOutput;
    };
    story = await push({
      ...fixtureStoryPush(),
      authors: [
        {
          name: "Jane Doe",
          url: "https://news.example/jane",
          fediverseHandle: "@jane@social.example",
        },
      ],
    });
    tricky = await push({
      headline: 'Talks <script>alert("x")</script> resume',
      bodyHtml: "<p>Text</p><script>alert(1)</script>",
      feeds: ["world"],
      publishedAt: "2016-07-21T10:00:00Z",
    });
    removed = await push({ headline: "Withdrawn", bodyHtml: "<p>Oops</p>", feeds: ["world"] });
    expect((await t.admin("DELETE", `/admin/articles/${removed.id}`)).status).toBe(204);
    const interactions = createInteractionRepository(t.database.db);
    const at = new Date("2016-07-21T12:00:00Z");
    await interactions.add(
      story.id,
      "like",
      "https://a.example/users/ann",
      "https://a.example/l/1",
      at,
    );
    await interactions.add(
      story.id,
      "like",
      "https://b.example/users/bob",
      "https://b.example/l/2",
      at,
    );
    await interactions.add(
      story.id,
      "announce",
      "https://a.example/users/ann",
      "https://a.example/b/1",
      at,
    );
    // Stored raw on purpose: the page must not trust the inbox's sanitising alone.
    await interactions.addReply(
      {
        id: "https://evil.example/notes/1",
        articleId: story.id,
        actorId: "https://evil.example/users/mallory",
        url: "javascript:alert(1)",
        contentHtml:
          '<p>Nice <script>window.pwned = 1</script><img src=x onerror="alert(1)"> story</p>',
        publishedAt: at,
      },
      at,
    );
  });
  afterAll(() => t.destroy());

  it("lists the feeds with their latest headlines on the front page", async () => {
    const response = await t.get("/", { accept: BROWSER });
    expect(response.status).toBe(200);
    expectPageHeaders(response);
    const page = await response.text();
    expect(page.startsWith("<!doctype html>")).toBe(true);
    expect(page).toContain(`<a href="${PUBLIC_URL}/world">World</a>`);
    expect(page).toContain(`<a href="${PUBLIC_URL}/articles/${story.id}">`);
    // Sections come before stories.
    expect(page.indexOf(`${PUBLIC_URL}/world"`)).toBeLessThan(
      page.indexOf(`${PUBLIC_URL}/us-russia-syria"`),
    );
    expect(page).toContain(
      `<link rel="alternate" type="application/rss+xml" title="World (RSS)" href="${PUBLIC_URL}/feeds/world.rss"/>`,
    );
    // SITE_NAME names the newsroom in the title, the header and link previews.
    expect(page).toContain("<title>The Daily Example</title>");
    expect(page).toContain(`<a href="${PUBLIC_URL}/">The Daily Example</a>`);
    expect(page).toContain('<meta property="og:site_name" content="The Daily Example"/>');
  });

  it("lists closed stories after the open feeds", async () => {
    expect(
      (await t.admin("PATCH", "/admin/feeds/us-russia-syria", { status: "closed" })).status,
    ).toBe(200);
    const page = await (await t.get("/", { accept: BROWSER })).text();
    expect(page).toContain("Closed stories");
    expect(page.indexOf("Closed stories")).toBeLessThan(
      page.indexOf(`${PUBLIC_URL}/us-russia-syria"`),
    );
    expect(
      (await t.admin("PATCH", "/admin/feeds/us-russia-syria", { status: "open" })).status,
    ).toBe(200);
  });

  it("shows a feed's page with its stories and every way to follow it", async () => {
    const response = await t.get("/world");
    expect(response.status).toBe(200);
    expectPageHeaders(response);
    expect(response.headers.get("vary")).toBe("Accept");
    const page = await response.text();
    expect(page).toContain("<h1>World</h1>");
    expect(page).toContain(
      `<a href="${PUBLIC_URL}/articles/${tricky.id}">Talks &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; resume</a>`,
    );
    expect(page).not.toContain("<script>alert");
    expect(page).not.toContain(removed.id);
    for (const format of ["rss", "atom", "json"]) {
      expect(page).toContain(`href="${PUBLIC_URL}/feeds/world.${format}"`);
    }
    expect(page).toContain(`<link rel="alternate" type="application/atom+xml"`);
    expect(page).toContain(
      `<link rel="alternate" type="application/activity+json" href="${PUBLIC_URL}/ap/feeds/world"/>`,
    );
    expect(page).toContain('<code id="handle">@world@news.example</code>');
    expect(page).toContain('data-copy="@world@news.example"');
    expect(page).toContain(
      `<form class="follow-form" method="get" action="${PUBLIC_URL}/world/follow">`,
    );
    expect(page).toContain("0 followers on the fediverse");
    const meta = metaTags(page);
    expect(meta.get("og:title")).toEqual(["World"]);
    expect(meta.get("og:url")).toEqual([`${PUBLIC_URL}/world`]);
    expect(meta.get("twitter:card")).toEqual(["summary"]);
  });

  it("pages a feed's stories with an opaque cursor", async () => {
    for (let i = 0; i < 21; i++) {
      const response = await t.admin("POST", "/admin/articles", {
        headline: `Brief ${i}`,
        bodyHtml: "<p>x</p>",
        feeds: ["us-russia-syria"],
        publishedAt: new Date(Date.UTC(2017, 0, 1 + i)).toISOString(),
      });
      expect(response.status).toBe(201);
    }
    const first = await (await t.get("/us-russia-syria")).text();
    expect(first).toContain("Brief 20");
    expect(first).not.toContain("Brief 0<");
    const older = /href="([^"]+\?before=[^"]+)">Older stories/.exec(first)?.[1];
    expect(older).toBeDefined();
    const second = await (
      await t.get(new URL(older ?? "").pathname + new URL(older ?? "").search)
    ).text();
    expect(second).toContain("Earlier stories");
    expect(second).toContain("Brief 0<");
    expect(second).toContain(`/articles/${story.id}`);
    expect(second).not.toContain("Older stories");
  });

  it("shows an article with byline, dates, image, body, counts and sanitised replies", async () => {
    const response = await t.get(`/articles/${story.id}`, { accept: BROWSER });
    expect(response.status).toBe(200);
    expectPageHeaders(response);
    // Served precompressed from memory (article-page-cache.ts): the coding varies too.
    expect(response.headers.get("vary")).toBe("Accept, Accept-Encoding");
    const page = await response.text();
    expect(page).toContain(`<link rel="canonical" href="${PUBLIC_URL}/articles/${story.id}"/>`);
    expect(page).toContain(
      `<link rel="alternate" type="application/activity+json" href="${PUBLIC_URL}/ap/feeds/us-russia-syria/articles/${story.id}"/>`,
    );
    expect(page).toContain(`href="${PUBLIC_URL}/feeds/world.atom"`);
    expect(page).toContain("<h1>US and Russia plan &#39;concrete steps&#39; for Syria</h1>");
    expect(page).toContain('<p class="standfirst">John Kerry says');
    expect(page).toContain('By <a href="https://news.example/jane">Jane Doe</a>');
    expect(page).toContain(
      '<time datetime="2016-07-20T00:00:00.000Z">20 July 2016 at 00:00 UTC</time>',
    );
    expect(page).not.toContain("Corrected");
    expect(page).toContain('<img src="https://news.example/media/assad-interview.jpg" alt="');
    expect(page).toContain("<figcaption>");
    expect(page).toContain("Photo: REUTERS");
    expect(page).toContain("Secretary of State John Kerry");
    expect(page).toContain("<li>2 likes</li><li>1 boost</li><li>1 reply</li>");
    // The reply: text kept, script, handler and javascript: URL gone.
    expect(page).toContain("Nice ");
    expect(page).toContain("mallory@evil.example");
    expect(page).not.toContain("window.pwned");
    expect(page).not.toContain("onerror");
    expect(page).not.toContain("javascript:");
    const meta = metaTags(page);
    expect(meta.get("og:type")).toEqual(["article"]);
    expect(meta.get("og:image")).toEqual(["https://news.example/media/assad-interview.jpg"]);
    expect(meta.get("twitter:card")).toEqual(["summary_large_image"]);
    expect(meta.get("fediverse:creator")).toEqual(["@jane@social.example"]);
    expect(meta.get("description")?.[0]).toMatch(/^John Kerry says/);
  });

  it("escapes a hostile headline and drops the body's script", async () => {
    const page = await (await t.get(`/articles/${tricky.id}`)).text();
    expect(page).toContain(
      "<title>Talks &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; resume</title>",
    );
    expect(page).not.toMatch(/<script>alert/);
    expect(page).not.toContain("alert(1)");
    // The only scripts are our own file, and the JSON-LD data block (never run).
    expect([...page.matchAll(/<script\b[^>]*>/g)].map((m) => m[0])).toEqual([
      '<script src="/assets/site.js" defer=""></script>'.replace("</script>", ""),
      '<script type="application/ld+json">',
    ]);
    // The headline cannot end the data block: its `<` is escaped there.
    const data = /<script type="application\/ld\+json">(.*?)<\/script>/s.exec(page)?.[1] ?? "";
    expect(data).not.toContain("<");
    expect((JSON.parse(data) as { headline: string }).headline).toBe(
      'Talks <script>alert("x")</script> resume',
    );
  });

  it("marks a silently revised article as updated, and a corrected one as corrected", async () => {
    const patched = await t.admin("PATCH", `/admin/articles/${tricky.id}`, {
      standfirst: "Fixed.",
    });
    expect(patched.status).toBe(200);
    const fixed = await (await t.get(`/articles/${tricky.id}`)).text();
    expect(fixed).toContain("Updated <time");
    expect(fixed).not.toContain("Corrected");
    const corrected = await t.admin("PATCH", `/admin/articles/${tricky.id}`, {
      correction: "The standfirst was wrong.",
    });
    expect(corrected.status).toBe(200);
    const page = await (await t.get(`/articles/${tricky.id}`)).text();
    expect(page).toContain('<span class="badge">Corrected</span> updated');
  });

  it("answers a deleted article with a 410 page, or problem+json for JSON clients", async () => {
    const response = await t.get(`/articles/${removed.id}`, { accept: BROWSER });
    expect(response.status).toBe(410);
    expectPageHeaders(response);
    expect(await response.text()).toContain("<h1>This article was removed</h1>");
    const json = await t.get(`/articles/${removed.id}`, { accept: "application/json" });
    expect(json.status).toBe(410);
    expect(json.headers.get("content-type")).toBe("application/problem+json");
  });

  it("answers unknown pages with an HTML 404 for browsers and problem+json otherwise", async () => {
    for (const path of [
      "/no-such-feed",
      "/articles/01a21853-344d-7e00-9702-8130acfa9578",
      "/a/b/c",
    ]) {
      const html = await t.get(path, { accept: BROWSER });
      expect(html.status).toBe(404);
      expectPageHeaders(html);
      expect(await html.text()).toContain("<h1>Page not found</h1>");
      const api = await t.get(path);
      expect(api.status).toBe(404);
      expect(api.headers.get("content-type")).toBe("application/problem+json");
    }
    const admin = await t.get("/admin/nope", { accept: BROWSER });
    expect(admin.headers.get("content-type")).toBe("application/problem+json");
  });

  it("sends the follow form to the reader's server", async () => {
    const actor = encodeURIComponent(`${PUBLIC_URL}/ap/feeds/world`);
    for (const typed of [
      "mastodon.example",
      " https://Mastodon.example/ ",
      "@me@mastodon.example",
    ]) {
      const response = await t.get(`/world/follow?instance=${encodeURIComponent(typed)}`);
      expect(response.status).toBe(303);
      expect(response.headers.get("location")).toBe(
        `https://mastodon.example/authorize_interaction?uri=${actor}`,
      );
    }
    for (const typed of [
      "",
      "javascript:alert(1)",
      "evil.example/path",
      "two words.example",
      "localhost",
    ]) {
      const response = await t.get(`/world/follow?instance=${encodeURIComponent(typed)}`);
      expect(response.status).toBe(400);
      expect(response.headers.get("location")).toBeNull();
    }
    expect((await t.get("/no-such-feed/follow?instance=mastodon.example")).status).toBe(404);
  });

  it("serves the stylesheet, script and feed XSLT the pages and feeds refer to", async () => {
    const css = await t.get("/assets/site.css");
    expect(css.status).toBe(200);
    expect(css.headers.get("content-type")).toBe("text/css; charset=utf-8");
    expect(await css.text()).toContain("prefers-color-scheme: dark");
    const js = await t.get("/assets/site.js");
    expect(js.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect(await js.text()).toContain("navigator.clipboard.writeText");
    const xsl = await t.get("/assets/feed.xsl");
    expect(xsl.headers.get("content-type")).toBe("text/xsl; charset=utf-8");
    const stylesheet = await xsl.text();
    expect(XMLValidator.validate(stylesheet)).toBe(true);
    expect(stylesheet).toContain("This is a web feed");
    const preview = await t.get("/assets/feed-preview.js");
    expect(preview.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect(await preview.text()).toContain('if (typeof XSLTProcessor === "function") return;');
  });

  it("points RSS and Atom at the stylesheet, and keeps them well-formed", async () => {
    for (const format of ["rss", "atom"]) {
      const document = await (await t.get(`/feeds/world.${format}`, { accept: BROWSER })).text();
      expect(document.split("\n").slice(0, 2)).toEqual([
        '<?xml version="1.0" encoding="utf-8"?>',
        '<?xml-stylesheet type="text/xsl" href="/assets/feed.xsl"?>',
      ]);
      expect(XMLValidator.validate(document)).toBe(true);
      // The fallback for browsers without XSLT: one foreign-namespace element, before the end,
      // in the variant browsers get (readers and validators get none; feed-documents.test.ts).
      const script =
        '<script xmlns="http://www.w3.org/1999/xhtml" src="/assets/feed-preview.js" defer="defer"></script>';
      expect(document.split(script)).toHaveLength(2);
      expect(document.trimEnd().endsWith(format === "rss" ? "</channel>\n</rss>" : "</feed>")).toBe(
        true,
      );
    }
    const json = await (await t.get("/feeds/world.json")).text();
    expect(json).not.toContain("xml-stylesheet");
  });

  it("serves RSS and Atom to browsers as application/xml, which Chromium styles", async () => {
    for (const [format, registered] of [
      ["rss", "application/rss+xml; charset=utf-8"],
      ["atom", "application/atom+xml; charset=utf-8"],
    ] as const) {
      const reader = await t.get(`/feeds/world.${format}`, {
        accept: `application/${format}+xml, application/xml;q=0.9, */*;q=0.8`,
      });
      const browser = await t.get(`/feeds/world.${format}`, { accept: BROWSER });
      expect(reader.headers.get("content-type")).toBe(registered);
      expect(browser.headers.get("content-type")).toBe("application/xml; charset=utf-8");
      for (const response of [reader, browser]) {
        expect(response.headers.get("vary")).toBe("Accept, Accept-Encoding");
      }
      // The same document, plus the preview script for browsers only.
      const readerText = await reader.text();
      const browserText = await browser.text();
      expect(readerText).not.toContain("<script");
      expect(browserText.replace(/\s*<script [^>]*><\/script>/, "")).toBe(readerText);
      expect(browser.headers.get("etag")).not.toBe(reader.headers.get("etag"));
    }
    const json = await t.get("/feeds/world.json", { accept: BROWSER });
    expect(json.headers.get("content-type")).toBe("application/feed+json; charset=utf-8");
    expect(json.headers.get("vary")).toBe("Accept-Encoding");
  });

  it("keeps the service's own paths out of feed slugs", async () => {
    for (const slug of ["admin", "assets"]) {
      const response = await t.admin("POST", "/admin/feeds", { slug, title: "Taken" });
      expect(response.status).toBe(422);
      const body = (await response.json()) as { errors: { pointer: string; detail: string }[] };
      expect(body.errors).toEqual([
        { pointer: "/slug", detail: "is reserved for the service's own pages" },
      ]);
    }
  });
});

describe("reader pages and ActivityPub share URLs", () => {
  let t: TestApp;
  let story: ArticleOutput;
  let app: ReturnType<typeof createApp>;

  beforeAll(async () => {
    t = await createTestApp("pglite");
    const stores = createStores(t.database.db);
    const runtime = await createFederationRuntime({
      storage: stores.federation,
      publicUrl: PUBLIC_URL,
      logger: silentLogger,
      clock: t.deps.clock,
      databaseUrl: undefined,
      allowPrivateAddress: false,
      deliveryConcurrency: 1,
    });
    const deps = createDeps({
      config: {
        publicUrl: PUBLIC_URL,
        adminToken: ADMIN_TOKEN,
        maxBodyBytes: 1 << 20,
        feedItemLimit: 50,
      },
      stores,
      logger: silentLogger,
      federation: runtime,
    });
    app = createApp(deps);
    const pushed = await app.request("/admin/articles", {
      method: "POST",
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify(fixtureStoryPush()),
    });
    expect(pushed.status).toBe(201);
    story = (await pushed.json()) as ArticleOutput;
  });
  afterAll(() => t.destroy());

  it("sends ActivityPub clients of a feed page to the feed's actor", async () => {
    for (const accept of [AP_JSON, AP_LD]) {
      const response = await app.request("/world", { headers: { accept } });
      expect(response.status).toBe(303);
      expect(response.headers.get("vary")).toBe("Accept");
      expect(response.headers.get("location")).toBe(`${PUBLIC_URL}/ap/feeds/world`);
      const actor = await app.request("/ap/feeds/world", { headers: { accept } });
      expect(actor.status).toBe(200);
      expect(((await actor.json()) as { id: string }).id).toBe(`${PUBLIC_URL}/ap/feeds/world`);
    }
    const html = await app.request("/world", { headers: { accept: BROWSER } });
    expect(html.status).toBe(200);
    expect(html.headers.get("content-type")).toMatch(/^text\/html/);
  });

  it("sends ActivityPub clients of an article page to its home feed's object", async () => {
    const objectId = `${PUBLIC_URL}/ap/feeds/us-russia-syria/articles/${story.id}`;
    for (const accept of [AP_JSON, AP_LD]) {
      const response = await app.request(`/articles/${story.id}`, { headers: { accept } });
      expect(response.status).toBe(303);
      expect(response.headers.get("vary")).toBe("Accept");
      expect(response.headers.get("location")).toBe(objectId);
      const object = await app.request(new URL(objectId).pathname, { headers: { accept } });
      expect(object.status).toBe(200);
      const body = (await object.json()) as { id: string; url: unknown };
      expect(body.id).toBe(objectId);
      expect(JSON.stringify(body.url)).toContain(`${PUBLIC_URL}/articles/${story.id}`);
    }
    const page = await app.request(`/articles/${story.id}`, { headers: { accept: BROWSER } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("<h1>US and Russia plan");
  });
});

describe("the front page of a newsroom with a thousand feeds", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp("postgres");
    // 1,000 story feeds, every fourth one closed, written in one statement.
    await sql`
      insert into feeds (slug, kind, title, description, language, status, created_at, updated_at)
      select 'story-' || n, 'story', 'Story ' || lpad(n::text, 4, '0'), 'A developing story', 'en',
             case when n % 4 = 0 then 'closed' else 'open' end, now(), now()
      from generate_series(1, 1000) as n`.execute(t.database.db);
  });
  afterAll(() => t?.destroy());

  const feedCards = (html: string) => html.match(/<article class="feed-card">/g)?.length ?? 0;

  it("shows it a page of feeds at a time, sections first, closed stories last", async () => {
    const first = await t.get("/", { accept: BROWSER });
    expect(first.status).toBe(200);
    const html = await first.text();
    expect(feedCards(html)).toBe(FEEDS_PER_FRONT_PAGE);
    // The probe measured 3.1 MB for one page of 1,000 feeds.
    expect(html.length).toBeLessThan(100_000);
    expect(html).toContain(`<a href="${PUBLIC_URL}/world">World</a>`);
    expect(html).toContain('<a href="/?page=2" rel="next">More feeds</a>');
    const pageCount = Math.ceil(1002 / FEEDS_PER_FRONT_PAGE);
    expect(html).toContain(`Page 1 of ${pageCount}`);

    const last = await (await t.get(`/?page=${pageCount}`, { accept: BROWSER })).text();
    expect(last).toContain("Closed stories");
    expect(last).not.toContain(`rel="next"`);
    expect(last).toContain(`rel="prev">Previous feeds`);
    for (const bad of [`${pageCount + 1}`, "0", "-1", "two", "1e3"]) {
      expect((await t.get(`/?page=${bad}`, { accept: BROWSER })).status).toBe(404);
    }
  });

  it("shows a new story on the front page at once, though the page is cached", async () => {
    const before = await (await t.get("/", { accept: BROWSER })).text();
    expect(await (await t.get("/", { accept: BROWSER })).text()).toBe(before);
    const pushed = await t.admin("POST", "/admin/articles", {
      headline: "Fresh headline for the front page",
      bodyHtml: "<p>Body</p>",
      feeds: ["world"],
    });
    expect(pushed.status).toBe(201);
    expect(await (await t.get("/", { accept: BROWSER })).text()).toContain(
      "Fresh headline for the front page",
    );
  });
});
