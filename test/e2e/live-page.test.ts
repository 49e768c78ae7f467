import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LiveStreamOutput } from "../../src/http/live-stream.routes.ts";
import type { ArticleOutput, LiveUpdateOutput } from "../../src/schemas/article.schema.ts";
import { DATABASE_KINDS } from "../support/databases.ts";
import { createTestApp, fixedClock, PUBLIC_URL, type TestApp } from "../support/test-app.ts";

const BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

/** The `<script type="application/ld+json">` blocks of a page, parsed. */
function jsonLd(html: string): Record<string, unknown>[] {
  return [...html.matchAll(/<script type="application\/ld\+json">(.*?)<\/script>/gs)].map(
    (match) => JSON.parse(match[1] ?? "") as Record<string, unknown>,
  );
}

/** The ids of the page's update elements, in page order. */
function updateAnchors(html: string): string[] {
  return [...html.matchAll(/<li id="(update-[^"]+)" class="live-update"/g)].map((m) => m[1] ?? "");
}

/** The `data-*` attributes of the live stream's section, or undefined when there is none. */
function streamAttributes(html: string): Record<string, string> | undefined {
  const tag = /<section class="live-updates"[^>]*>/.exec(html)?.[0];
  if (!tag) return undefined;
  return Object.fromEntries(
    [...tag.matchAll(/data-([a-z-]+)="([^"]*)"/g)].map((m) => [
      m[1] ?? "",
      (m[2] ?? "").replaceAll("&quot;", '"').replaceAll("&amp;", "&"),
    ]),
  );
}

const hasLiveLabel = (html: string) => html.includes('<p class="live-label" data-live-label="">');

describe.each(DATABASE_KINDS)("the live article page on %s", (kind) => {
  let t: TestApp;
  const clock = fixedClock(new Date("2016-07-20T09:00:00Z"));
  beforeAll(async () => {
    t = await createTestApp(kind, { clock, config: { livePollSeconds: 7 } });
  });
  afterAll(() => t.destroy());

  const pushArticle = async (overrides: Record<string, unknown> = {}) => {
    const response = await t.admin("POST", "/admin/articles", {
      headline: "US and Russia plan 'concrete steps' for Syria",
      standfirst: "Kerry and Lavrov meet in Moscow.",
      bodyHtml: "<p>Talks in Moscow.</p>",
      authors: [{ name: "Jo Reporter", url: "https://news.example/staff/jo" }],
      feeds: ["us-russia-syria"],
      publishedAt: "2016-07-20T08:00:00Z",
      ...overrides,
    });
    expect(response.status).toBe(201);
    return (await response.json()) as ArticleOutput;
  };
  const pushUpdate = async (articleId: string, body: Record<string, unknown>) => {
    const response = await t.admin("POST", `/admin/articles/${articleId}/updates`, body);
    expect(response.status).toBe(201);
    return (await response.json()) as LiveUpdateOutput;
  };
  const page = async (id: string) => {
    const response = await t.get(`/articles/${id}`, { accept: BROWSER });
    expect(response.status).toBe(200);
    return response.text();
  };
  const stream = (id: string, headers: Record<string, string> = {}) =>
    t.get(`/articles/${id}/updates.json`, headers);
  const streamJson = async (id: string) => {
    const response = await stream(id);
    expect(response.status).toBe(200);
    return {
      etag: response.headers.get("etag") ?? "",
      body: (await response.json()) as LiveStreamOutput,
    };
  };

  it("shows the updates newest first, each with its time and its feed anchor", async () => {
    const article = await pushArticle();
    clock.set(new Date("2016-07-20T09:10:00Z"));
    const first = await pushUpdate(article.id, {
      headline: "Kerry lands in Moscow",
      bodyHtml: "<p>The Secretary of State landed.</p>",
      publishedAt: "2016-07-20T09:05:00Z",
    });
    const second = await pushUpdate(article.id, {
      bodyHtml: "<p>Talks begin at the Kremlin.</p>",
      publishedAt: "2016-07-20T09:08:00Z",
      authors: [{ name: "Sam Wire" }],
    });
    const html = await page(article.id);
    expect(updateAnchors(html)).toEqual([`update-${second.id}`, `update-${first.id}`]);
    // The anchor is the fragment of the URL the feeds give each update.
    expect(first.url).toBe(`${PUBLIC_URL}/articles/${article.id}#update-${first.id}`);
    const feed = (await (await t.get("/feeds/us-russia-syria.json")).json()) as {
      items: { id: string }[];
    };
    expect(feed.items.map((item) => item.id)).toContain(first.url);
    expect(html).toContain(
      `<a href="#update-${first.id}"><time datetime="2016-07-20T09:05:00.000Z">20 July 2016 at 09:05 UTC</time></a>`,
    );
    expect(html).toContain("<h3>Kerry lands in Moscow</h3>");
    expect(html).toContain("<p>The Secretary of State landed.</p>");
    expect(html).toContain("By Sam Wire");
    expect(hasLiveLabel(html)).toBe(true);
    expect(streamAttributes(html)).toEqual({
      "live-stream": `${PUBLIC_URL}/articles/${article.id}/updates.json`,
      live: "true",
      etag: (await streamJson(article.id)).etag,
      "poll-seconds": "7",
    });
    // The polite status line the script announces new updates in.
    expect(html).toContain('role="status" aria-live="polite" data-live-status=""');
  });

  it("answers the stream as JSON with an ETag, and 304 for If-None-Match", async () => {
    const article = await pushArticle();
    clock.set(new Date("2016-07-20T09:20:00Z"));
    const update = await pushUpdate(article.id, {
      headline: "Lavrov speaks",
      bodyHtml: "<p>Remarks to the press.</p>",
      authors: [{ name: "Jo Reporter", url: "https://news.example/staff/jo" }],
    });
    const response = await stream(article.id);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^application\/json/);
    expect(response.headers.get("cache-control")).toBe("no-cache");
    const etag = response.headers.get("etag");
    expect(etag).toMatch(/^"[A-Za-z0-9_-]{24}"$/);
    const body = (await response.json()) as LiveStreamOutput;
    expect(body.articleId).toBe(article.id);
    expect(body.url).toBe(`${PUBLIC_URL}/articles/${article.id}`);
    expect(body.live).toBe(true);
    expect(body.updates).toHaveLength(1);
    const [item] = body.updates;
    expect(item).toMatchObject({
      id: update.id,
      anchor: `update-${update.id}`,
      url: update.url,
      headline: "Lavrov speaks",
      bodyHtml: "<p>Remarks to the press.</p>",
      authors: [{ name: "Jo Reporter", url: "https://news.example/staff/jo" }],
      image: null,
      publishedAt: "2016-07-20T09:20:00.000Z",
      updatedAt: "2016-07-20T09:20:00.000Z",
      revision: 1,
    });
    // The same markup as the page's, so the script inserts exactly what a reload would show.
    expect(item?.html).toMatch(new RegExp(`^<li id="update-${update.id}" class="live-update"`));
    expect(await page(article.id)).toContain(item?.html ?? "missing");

    for (const ifNoneMatch of [etag ?? "", `W/${etag}`, `"other", ${etag}`]) {
      const again = await stream(article.id, { "if-none-match": ifNoneMatch });
      expect(again.status, ifNoneMatch).toBe(304);
      expect(await again.text()).toBe("");
      expect(again.headers.get("etag")).toBe(etag);
    }
    expect((await stream(article.id, { "if-none-match": '"stale"' })).status).toBe(200);
  });

  it("changes the stream and its ETag after a push, an edit and a delete", async () => {
    const article = await pushArticle();
    clock.set(new Date("2016-07-20T09:30:00Z"));
    const kept = await pushUpdate(article.id, { bodyHtml: "<p>First.</p>" });
    const before = await streamJson(article.id);

    clock.advance(60_000);
    const added = await pushUpdate(article.id, { bodyHtml: "<p>Second.</p>" });
    const afterPush = await streamJson(article.id);
    expect(afterPush.etag).not.toBe(before.etag);
    expect(afterPush.body.updates.map((u) => u.id)).toEqual([added.id, kept.id]);
    expect((await stream(article.id, { "if-none-match": before.etag })).status).toBe(200);

    clock.advance(60_000);
    const edit = await t.admin("PATCH", `/admin/articles/${article.id}/updates/${kept.id}`, {
      bodyHtml: "<p>First, corrected.</p>",
    });
    expect(edit.status).toBe(200);
    const afterEdit = await streamJson(article.id);
    expect(afterEdit.etag).not.toBe(afterPush.etag);
    const edited = afterEdit.body.updates.find((u) => u.id === kept.id);
    expect(edited?.bodyHtml).toBe("<p>First, corrected.</p>");
    expect(edited?.revision).toBe(2);
    expect(edited?.html).toContain("edited");
    expect(await page(article.id)).toContain("<p>First, corrected.</p>");

    const removed = await t.admin("DELETE", `/admin/articles/${article.id}/updates/${added.id}`);
    expect(removed.status).toBe(204);
    const afterDelete = await streamJson(article.id);
    expect(afterDelete.etag).not.toBe(afterEdit.etag);
    expect(afterDelete.body.updates.map((u) => u.id)).toEqual([kept.id]);
    const html = await page(article.id);
    expect(updateAnchors(html)).toEqual([`update-${kept.id}`]);
    expect(html).not.toContain("<p>Second.</p>");
  });

  it("keeps a scheduled (embargoed) update out of the page and the JSON until its time", async () => {
    const article = await pushArticle();
    clock.set(new Date("2016-07-20T10:00:00Z"));
    const visible = await pushUpdate(article.id, { bodyHtml: "<p>Now.</p>" });
    const embargoed = await pushUpdate(article.id, {
      headline: "Embargoed statement",
      bodyHtml: "<p>Not before eleven.</p>",
      publishedAt: "2016-07-20T11:00:00Z",
    });
    const early = await streamJson(article.id);
    expect(early.body.updates.map((u) => u.id)).toEqual([visible.id]);
    const earlyText = JSON.stringify(early.body);
    const html = await page(article.id);
    for (const secret of [embargoed.id, "Embargoed statement", "Not before eleven"]) {
      expect(earlyText).not.toContain(secret);
      expect(html).not.toContain(secret);
    }

    clock.set(new Date("2016-07-20T11:00:00Z"));
    const onTime = await streamJson(article.id);
    expect(onTime.etag).not.toBe(early.etag);
    expect(onTime.body.updates.map((u) => u.id)).toEqual([embargoed.id, visible.id]);
    expect((await stream(article.id, { "if-none-match": early.etag })).status).toBe(200);
    expect(updateAnchors(await page(article.id))).toEqual([
      `update-${embargoed.id}`,
      `update-${visible.id}`,
    ]);
  });

  it("answers 404 for unknown and scheduled articles, 410 for deleted ones", async () => {
    for (const id of ["0190b6a4-0000-7000-8000-000000000000", "not-an-id"]) {
      const response = await stream(id);
      expect(response.status, id).toBe(404);
      expect(response.headers.get("content-type")).toBe("application/problem+json");
      expect(((await response.json()) as { type: string }).type).toBe("/problems/not-found");
    }
    clock.set(new Date("2016-07-20T12:00:00Z"));
    const scheduled = await pushArticle({ publishedAt: "2016-07-21T08:00:00Z" });
    await pushUpdate(scheduled.id, { bodyHtml: "<p>Early word.</p>" });
    const hidden = await stream(scheduled.id);
    expect(hidden.status).toBe(404);
    expect(await hidden.text()).not.toContain("Early word");

    const deleted = await pushArticle();
    await pushUpdate(deleted.id, { bodyHtml: "<p>Soon gone.</p>" });
    expect((await t.admin("DELETE", `/admin/articles/${deleted.id}`)).status).toBe(204);
    const gone = await stream(deleted.id);
    expect(gone.status).toBe(410);
    expect(gone.headers.get("content-type")).toBe("application/problem+json");
  });

  it("shows the LIVE label only while live; LiveBlogPosting for a story that was live, else NewsArticle", async () => {
    clock.set(new Date("2016-07-20T13:00:00Z"));
    const plain = await pushArticle({ headline: "A story that never went live" });
    const plainHtml = await page(plain.id);
    expect(hasLiveLabel(plainHtml)).toBe(false);
    expect(streamAttributes(plainHtml)).toBeUndefined();
    const [plainLd] = jsonLd(plainHtml);
    expect(plainLd).toMatchObject({
      "@context": "https://schema.org",
      "@type": "NewsArticle",
      headline: "A story that never went live",
      url: `${PUBLIC_URL}/articles/${plain.id}`,
      datePublished: "2016-07-20T08:00:00.000Z",
      author: [{ "@type": "Person", name: "Jo Reporter", url: "https://news.example/staff/jo" }],
    });
    expect(plainLd).not.toHaveProperty("coverageStartTime");
    expect(plainLd).not.toHaveProperty("liveBlogUpdate");

    const article = await pushArticle({ headline: "Talks </script><!-- & more" });
    clock.set(new Date("2016-07-20T13:05:00Z"));
    const older = await pushUpdate(article.id, {
      headline: "Delegations arrive",
      bodyHtml: "<p>Cars at the <b>gate</b>.</p>",
    });
    clock.set(new Date("2016-07-20T13:10:00Z"));
    const newer = await pushUpdate(article.id, { bodyHtml: "<p>Doors close.</p>" });
    const liveHtml = await page(article.id);
    expect(hasLiveLabel(liveHtml)).toBe(true);
    const scripts = jsonLd(liveHtml);
    expect(scripts).toHaveLength(1);
    const [liveLd] = scripts;
    expect(liveLd).toMatchObject({
      "@type": "LiveBlogPosting",
      // Escaped inside the script, the same text once parsed.
      headline: "Talks </script><!-- & more",
      coverageStartTime: "2016-07-20T08:00:00.000Z",
      dateModified: "2016-07-20T13:10:00.000Z",
      liveBlogUpdate: [
        {
          "@type": "BlogPosting",
          url: newer.url,
          headline: "Talks </script><!-- & more",
          datePublished: "2016-07-20T13:10:00.000Z",
          articleBody: "Doors close.",
        },
        {
          "@type": "BlogPosting",
          url: older.url,
          headline: "Delegations arrive",
          articleBody: "Cars at the gate.",
        },
      ],
    });
    expect(liveHtml).not.toContain("Talks </script>");

    // No end while live: nobody knows when coverage will stop (article-json-ld.tsx).
    expect(liveLd).not.toHaveProperty("coverageEndTime");

    clock.set(new Date("2016-07-20T13:30:00Z"));
    const closed = await t.admin("PATCH", `/admin/articles/${article.id}`, { live: false });
    expect(closed.status).toBe(200);
    const closedHtml = await page(article.id);
    expect(hasLiveLabel(closedHtml)).toBe(false);
    // The updates stay on the page; the script is told to stop.
    expect(updateAnchors(closedHtml)).toEqual([`update-${newer.id}`, `update-${older.id}`]);
    expect(streamAttributes(closedHtml)?.live).toBe("false");
    expect((await streamJson(article.id)).body.live).toBe(false);
    // Still the live blog it was, its coverage now ended when it was closed.
    const [closedLd] = jsonLd(closedHtml);
    expect(closedLd).toMatchObject({
      "@type": "LiveBlogPosting",
      coverageStartTime: "2016-07-20T08:00:00.000Z",
      coverageEndTime: "2016-07-20T13:30:00.000Z",
    });
    expect(closedLd?.liveBlogUpdate).toHaveLength(2);
  });

  it("shows a live story with no updates yet as live, with an empty stream", async () => {
    clock.set(new Date("2016-07-20T14:00:00Z"));
    const article = await pushArticle();
    expect((await t.admin("PATCH", `/admin/articles/${article.id}`, { live: true })).status).toBe(
      200,
    );
    const html = await page(article.id);
    expect(hasLiveLabel(html)).toBe(true);
    expect(updateAnchors(html)).toEqual([]);
    expect(html).toContain("No updates yet.");
    expect(jsonLd(html)[0]).toMatchObject({ "@type": "LiveBlogPosting", liveBlogUpdate: [] });
    const { body } = await streamJson(article.id);
    expect(body).toEqual({
      articleId: article.id,
      url: `${PUBLIC_URL}/articles/${article.id}`,
      live: true,
      updates: [],
    });
  });
});
