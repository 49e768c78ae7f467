import { promisify } from "node:util";
import { brotliDecompress, gunzip } from "node:zlib";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REACTIONS_MAX_AGE_MS } from "../../src/http/article-page-cache.ts";
import type { ArticleOutput, LiveUpdateOutput } from "../../src/schemas/article.schema.ts";
import { createInteractionRepository } from "../../src/storage/interaction-repository.ts";
import { DATABASE_KINDS } from "../support/databases.ts";
import { createTestApp, fixedClock, type TestApp } from "../support/test-app.ts";

const BROWSER = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8";
const STORY = "us-russia-syria";
const gunzipAsync = promisify(gunzip);
const brotliAsync = promisify(brotliDecompress);

/**
 * Article pages are rendered once per state of the article and served from memory (issue 13.8,
 * the preview stampede): 304 on the ETag, precompressed copies, one render for a burst of
 * readers, and a new ETag exactly when something the page shows changed. Renders are counted
 * through createDeps' onArticlePageRender; time moves on the app's injected clock.
 */
describe.each(DATABASE_KINDS)("cached article pages on %s", (kind) => {
  const clock = fixedClock(new Date("2016-07-20T09:00:00Z"));
  const renders = new Map<string, number>();
  /** Tests waiting for an article's next render. */
  const renderWaiters = new Map<string, () => void>();
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(kind, {
      clock,
      onArticlePageRender: (id) => {
        renders.set(id, (renders.get(id) ?? 0) + 1);
        renderWaiters.get(id)?.();
      },
    });
  });
  afterAll(() => t.destroy());

  const rendersOf = (id: string) => renders.get(id) ?? 0;
  const push = async (overrides: Record<string, unknown> = {}): Promise<ArticleOutput> => {
    const response = await t.admin("POST", "/admin/articles", {
      headline: "Talks resume in Geneva",
      bodyHtml: "<p>Envoys meet again.</p>",
      feeds: [STORY],
      publishedAt: "2016-07-20T08:00:00Z",
      ...overrides,
    });
    expect(response.status).toBe(201);
    return (await response.json()) as ArticleOutput;
  };
  const patch = async (id: string, body: Record<string, unknown>) => {
    const response = await t.admin("PATCH", `/admin/articles/${id}`, body);
    expect(response.status).toBe(200);
  };
  const pushUpdate = async (id: string, body: Record<string, unknown>) => {
    const response = await t.admin("POST", `/admin/articles/${id}/updates`, body);
    expect(response.status).toBe(201);
    return (await response.json()) as LiveUpdateOutput;
  };
  const page = async (id: string) => {
    const response = await t.get(`/articles/${id}`, { accept: BROWSER });
    expect(response.status).toBe(200);
    return { etag: response.headers.get("etag") ?? "", html: await response.text() };
  };
  const etagOf = async (id: string) => (await page(id)).etag;

  it("answers 200 with a strong ETag, then 304 for it, HEAD alike, varying on Accept", async () => {
    const article = await push();
    const first = await t.get(`/articles/${article.id}`, { accept: BROWSER });
    expect(first.status).toBe(200);
    const etag = first.headers.get("etag");
    expect(etag).toMatch(/^"[A-Za-z0-9_-]{24}"$/);
    expect(first.headers.get("vary")).toBe("Accept, Accept-Encoding");
    expect(first.headers.get("content-type")).toBe("text/html; charset=UTF-8");
    expect(first.headers.get("cache-control")).toBe("public, max-age=60");
    expect(first.headers.get("content-security-policy")).toContain("default-src");
    const html = await first.text();
    expect(html).toContain("<h1>Talks resume in Geneva</h1>");

    const again = await t.get(`/articles/${article.id}`, {
      accept: BROWSER,
      "if-none-match": etag ?? "",
    });
    expect(again.status).toBe(304);
    expect(again.headers.get("etag")).toBe(etag);
    expect(await again.text()).toBe("");

    const head = await t.app.request(`/articles/${article.id}`, { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(head.headers.get("etag")).toBe(etag);
    expect(head.headers.get("content-length")).toBe(String(Buffer.byteLength(html)));
    expect(await head.text()).toBe("");
    expect(rendersOf(article.id)).toBe(1);
  });

  it("sends gzip and brotli copies that decode to the same HTML", async () => {
    const article = await push({ headline: "Compressed copies" });
    const { html, etag } = await page(article.id);
    const gzipped = await t.get(`/articles/${article.id}`, { "accept-encoding": "gzip" });
    expect(gzipped.headers.get("content-encoding")).toBe("gzip");
    expect(gzipped.headers.get("etag")).toBe(etag);
    const gzipBytes = Buffer.from(await gzipped.arrayBuffer());
    expect((await gunzipAsync(gzipBytes)).toString("utf8")).toBe(html);
    expect(gzipBytes.byteLength).toBeLessThan(Buffer.byteLength(html));
    const brotli = await t.get(`/articles/${article.id}`, { "accept-encoding": "gzip, br" });
    expect(brotli.headers.get("content-encoding")).toBe("br");
    const brBytes = Buffer.from(await brotli.arrayBuffer());
    expect((await brotliAsync(brBytes)).toString("utf8")).toBe(html);
    expect(rendersOf(article.id)).toBe(1);
  });

  it("renders a new story's page on publish, before anyone asks", async () => {
    const article = await push({ headline: "Ready on publish" });
    if (rendersOf(article.id) === 0) {
      await new Promise<void>((resolve) => renderWaiters.set(article.id, resolve));
    }
    expect(rendersOf(article.id)).toBe(1);
    expect((await page(article.id)).html).toContain("<h1>Ready on publish</h1>");
    expect(rendersOf(article.id)).toBe(1);
  });

  it("renders once for 100 concurrent readers right after a change", async () => {
    const article = await push({ headline: "Before the stampede" });
    await page(article.id);
    const before = rendersOf(article.id);
    // A revision drops the page; nothing renders it until it is read.
    await patch(article.id, { headline: "The stampede" });
    expect(rendersOf(article.id)).toBe(before);
    const responses = await Promise.all(
      Array.from({ length: 100 }, () => t.get(`/articles/${article.id}`, { accept: BROWSER })),
    );
    expect(responses.map((r) => r.status)).toEqual(Array(100).fill(200));
    expect(new Set(responses.map((r) => r.headers.get("etag"))).size).toBe(1);
    const bodies = await Promise.all(responses.map((r) => r.text()));
    expect(bodies.every((body) => body.includes("<h1>The stampede</h1>"))).toBe(true);
    expect(rendersOf(article.id)).toBe(before + 1);
  });

  it("changes the ETag on every revision, correction, live switch and live update", async () => {
    const article = await push({ headline: "A developing story" });
    const seen = [await etagOf(article.id)];
    const expectNew = async (what: string) => {
      const etag = await etagOf(article.id);
      expect(etag, what).not.toBe(seen.at(-1));
      seen.push(etag);
    };
    await patch(article.id, { headline: "A developing story, revised" });
    await expectNew("revision");
    await patch(article.id, { bodyHtml: "<p>Fixed.</p>", correction: "The date was wrong." });
    await expectNew("correction");
    await patch(article.id, { live: true });
    await expectNew("live on");
    const update = await pushUpdate(article.id, { bodyHtml: "<p>First update.</p>" });
    await expectNew("live update pushed");
    const edited = await t.admin("PATCH", `/admin/articles/${article.id}/updates/${update.id}`, {
      bodyHtml: "<p>First update, edited.</p>",
    });
    expect(edited.status).toBe(200);
    await expectNew("live update edited");
    const removed = await t.admin("DELETE", `/admin/articles/${article.id}/updates/${update.id}`);
    expect(removed.status).toBe(204);
    await expectNew("live update deleted");
    await patch(article.id, { live: false });
    await expectNew("live off");
    // Between changes, the page came from memory: one render per state.
    expect(rendersOf(article.id)).toBe(seen.length);
  });

  it("keeps the page's stream ETag that of updates.json, a scheduled update included", async () => {
    const article = await push({ headline: "Live with a schedule" });
    await patch(article.id, { live: true });
    await pushUpdate(article.id, { bodyHtml: "<p>Now.</p>" });
    await pushUpdate(article.id, {
      bodyHtml: "<p>At ten.</p>",
      publishedAt: "2016-07-20T10:00:00Z",
    });
    const streamEtag = async () =>
      (await t.get(`/articles/${article.id}/updates.json`)).headers.get("etag");
    const embedded = (html: string) =>
      /data-etag="([^"]+)"/.exec(html)?.[1]?.replaceAll("&quot;", '"');
    const before = await page(article.id);
    expect(embedded(before.html)).toBe(await streamEtag());
    expect(before.html).not.toContain("At ten.");

    clock.set(new Date("2016-07-20T10:00:00Z"));
    const after = await page(article.id);
    expect(after.etag).not.toBe(before.etag);
    expect(after.html).toContain("At ten.");
    expect(embedded(after.html)).toBe(await streamEtag());
    clock.set(new Date("2016-07-20T09:00:00Z"));
  });

  it("changes the ETag when the feed closes (its live story ends), not for another feed's", async () => {
    const feed = await t.admin("POST", "/admin/feeds", {
      slug: "geneva-talks",
      title: "Geneva talks",
      description: "The talks, as they happen.",
    });
    expect(feed.status).toBe(201);
    const article = await push({ headline: "In its own feed", feeds: ["geneva-talks"] });
    await patch(article.id, { live: true });
    const first = await etagOf(article.id);
    const rendered = rendersOf(article.id);

    await push({ headline: "Elsewhere", feeds: ["world"] });
    expect(await etagOf(article.id)).toBe(first);
    expect(rendersOf(article.id)).toBe(rendered);
    // Another story in the same feed drops the page, yet what it shows is the same: same ETag.
    await push({ headline: "A neighbour", feeds: ["geneva-talks"] });
    expect(await etagOf(article.id)).toBe(first);

    const closed = await t.admin("PATCH", "/admin/feeds/geneva-talks", { status: "closed" });
    expect(closed.status).toBe(200);
    expect(await etagOf(article.id)).not.toBe(first);
  });

  it("shows new reactions within REACTIONS_MAX_AGE_MS, however they arrived", async () => {
    const article = await push({ headline: "Liked elsewhere" });
    const first = await page(article.id);
    expect(first.html).toContain("0 likes");
    // As the inbox of another process would: straight to the database, announced to nobody.
    await createInteractionRepository(t.database.db).add(
      article.id,
      "like",
      "https://remote.example/users/ann",
      "https://remote.example/likes/1",
      clock.now(),
    );
    expect((await page(article.id)).etag).toBe(first.etag);
    clock.advance(REACTIONS_MAX_AGE_MS);
    const later = await page(article.id);
    expect(later.etag).not.toBe(first.etag);
    expect(later.html).toContain("1 like<");
    // Nothing changed since: the next build has the same bytes, so the same ETag.
    clock.advance(REACTIONS_MAX_AGE_MS);
    expect(await etagOf(article.id)).toBe(later.etag);
    clock.set(new Date("2016-07-20T09:00:00Z"));
  });

  it("shows a change announced by another process", async () => {
    const article = await push({ headline: "Written here" });
    const first = await page(article.id);
    await sql`update articles set headline = 'Written elsewhere' where id = ${article.id}`.execute(
      t.database.db,
    );
    expect((await page(article.id)).etag).toBe(first.etag);
    t.deps.onExternalFeedChange([STORY]);
    const after = await page(article.id);
    expect(after.html).toContain("Written elsewhere");
    t.deps.onExternalFeedChange("all");
    expect(await etagOf(article.id)).toBe(after.etag);
  });

  it("answers 404 for an embargoed story exactly as for an unknown one, then 200 on time", async () => {
    const article = await push({
      headline: "Not before noon",
      publishedAt: "2016-07-20T12:00:00Z",
    });
    const unknown = await t.get("/articles/0190a0a0-0000-7000-8000-000000000000", {
      accept: BROWSER,
    });
    const early = await t.get(`/articles/${article.id}`, { accept: BROWSER });
    expect(early.status).toBe(404);
    expect(early.headers.get("etag")).toBeNull();
    expect(await early.text()).toBe(await unknown.text());
    const problem = await t.get(`/articles/${article.id}`);
    expect(problem.status).toBe(404);
    expect(problem.headers.get("content-type")).toContain("application/problem+json");

    clock.set(new Date("2016-07-20T12:00:00Z"));
    const onTime = await page(article.id);
    expect(onTime.html).toContain("Not before noon");
    clock.set(new Date("2016-07-20T09:00:00Z"));
  });

  it("answers 410 at once after a delete", async () => {
    const article = await push({ headline: "To be deleted" });
    await page(article.id);
    expect((await t.admin("DELETE", `/admin/articles/${article.id}`)).status).toBe(204);
    const gone = await t.get(`/articles/${article.id}`, { accept: BROWSER });
    expect(gone.status).toBe(410);
    expect(await gone.text()).not.toContain("To be deleted");
  });
});
