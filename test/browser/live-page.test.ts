import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { ArticleOutput, LiveUpdateOutput } from "../../src/schemas/article.schema.ts";
import { seriousViolations } from "./support/axe.ts";
import { launchChromium } from "./support/chromium.ts";
import { type ReaderServer, startReaderServer } from "./support/reader-server.ts";
import { DOCS_SCREENSHOTS as DOCS, SCREENSHOTS } from "./support/screenshots.ts";
import { watchedPages } from "./support/watched-pages.ts";

/** Open pages poll every second here (LIVE_POLL_SECONDS; 15 by default). */
const POLL_SECONDS = 1;
/** "Within a few seconds": a poll interval, and then some for a busy 2-core machine. */
const SHOWS_WITHIN_MS = 5_000;

let server: ReaderServer;
let chromium: Awaited<ReturnType<typeof launchChromium>>;
let context: BrowserContext;
/** Every page is watched: the live script must run under the strict CSP. */
const pages = watchedPages(() => context);
/** Requests for the stream, per page. */
const streamRequests = new Map<Page, number>();

async function open(path: string) {
  const page = await pages.newPage();
  streamRequests.set(page, 0);
  page.on("request", (request) => {
    if (request.url().endsWith("/updates.json")) {
      streamRequests.set(page, (streamRequests.get(page) ?? 0) + 1);
    }
  });
  const response = await page.goto(new URL(path, server.url).href);
  expect(response?.status()).toBe(200);
  return page;
}

async function pushArticle(headline: string): Promise<ArticleOutput> {
  const response = await server.admin("POST", "/admin/articles", {
    headline,
    standfirst: "Foreign ministers meet in Moscow; follow the talks as they happen.",
    bodyHtml: "<p>John Kerry and Sergei Lavrov are meeting in Moscow to discuss Syria.</p>",
    authors: [{ name: "Jo Reporter" }],
    feeds: ["us-russia-syria"],
    publishedAt: "2016-07-20T08:00:00Z",
  });
  expect(response.status).toBe(201);
  return (await response.json()) as ArticleOutput;
}

async function pushUpdate(articleId: string, body: Record<string, unknown>) {
  const response = await server.admin("POST", `/admin/articles/${articleId}/updates`, body);
  expect(response.status).toBe(201);
  return (await response.json()) as LiveUpdateOutput;
}

/** The page's update ids, top to bottom. */
const listedIds = (page: Page) =>
  page.locator(".live-update-list > li").evaluateAll((items) => items.map((item) => item.id));

beforeAll(async () => {
  await mkdir(SCREENSHOTS, { recursive: true });
  server = await startReaderServer({ livePollSeconds: POLL_SECONDS });
  chromium = await launchChromium();
  context = chromium.context;
});

afterEach(() => pages.closeAll());

afterAll(async () => {
  await chromium?.close();
  await server?.close();
});

describe("a live article page in Chromium", () => {
  it("shows an update pushed while it is open, within seconds, without a reload", async () => {
    const article = await pushArticle("Kerry and Lavrov meet on Syria: live");
    const first = await pushUpdate(article.id, {
      headline: "Kerry lands in Moscow",
      bodyHtml: "<p>The Secretary of State's plane touched down at Vnukovo.</p>",
      publishedAt: "2016-07-20T08:30:00Z",
    });
    const second = await pushUpdate(article.id, {
      bodyHtml: "<p>The two delegations are due to meet at the Kremlin this afternoon.</p>",
      publishedAt: "2016-07-20T09:15:00Z",
      authors: [{ name: "Sam Wire" }],
    });
    const page = await open(`/articles/${article.id}`);
    const label = page.locator("[data-live-label]");
    expect(await label.isVisible()).toBe(true);
    // biome-ignore lint/performance/useDomNodeTextContent: the rendered text (CSS uppercase) is what readers see
    expect(await label.innerText()).toBe("LIVE");
    expect(await listedIds(page)).toEqual([`update-${second.id}`, `update-${first.id}`]);
    // A marker in this document: still there after the update arrives, so no reload happened.
    await page.evaluate(() => {
      (window as unknown as { stillThisPage: boolean }).stillThisPage = true;
    });

    const pushedAt = Date.now();
    const third = await pushUpdate(article.id, {
      headline: "Talks begin",
      bodyHtml: "<p>Kerry and Lavrov sat down shortly after noon, aides said.</p>",
      publishedAt: "2016-07-20T12:05:00Z",
    });
    const arrived = page.locator(`#update-${third.id}`);
    await arrived.waitFor({ state: "visible", timeout: SHOWS_WITHIN_MS });
    const shownAfterMs = Date.now() - pushedAt;
    expect(shownAfterMs).toBeLessThan(SHOWS_WITHIN_MS);
    console.info(`live update shown ${shownAfterMs} ms after the push`);
    expect(await page.evaluate(() => "stillThisPage" in window)).toBe(true);
    expect(await listedIds(page)).toEqual([
      `update-${third.id}`,
      `update-${second.id}`,
      `update-${first.id}`,
    ]);
    expect(await arrived.getByRole("heading", { level: 3 }).textContent()).toBe("Talks begin");
    // Announced politely, once, on the status line.
    const status = page.getByRole("status");
    expect(await status.getAttribute("aria-live")).toBe("polite");
    expect(await status.textContent()).toBe("New update: Talks begin");
    // Its time links to its own anchor, the URL the feeds give it.
    expect(await arrived.locator("p.meta a").first().getAttribute("href")).toBe(
      `#update-${third.id}`,
    );
    expect(third.url).toBe(`${server.url}/articles/${article.id}#update-${third.id}`);

    // Let the arrival highlight finish before axe and the screenshot.
    await page.waitForFunction(
      (id) => document.getElementById(id)?.getAnimations().length === 0,
      `update-${third.id}`,
    );
    expect(await seriousViolations(page)).toEqual([]);
    await page.screenshot({ path: join(SCREENSHOTS, "live-article-page.png"), fullPage: true });
    if (DOCS) await page.screenshot({ path: join(DOCS, "live-article-page.png") });
  });

  it("follows edits and deletions, and stops polling once the story is no longer live", async () => {
    const article = await pushArticle("Ceasefire talks: live");
    const update = await pushUpdate(article.id, { bodyHtml: "<p>Talks are under way.</p>" });
    const doomed = await pushUpdate(article.id, { bodyHtml: "<p>A statement is expected.</p>" });
    const page = await open(`/articles/${article.id}`);

    const edit = await server.admin("PATCH", `/admin/articles/${article.id}/updates/${update.id}`, {
      bodyHtml: "<p>Talks are under way in Geneva.</p>",
    });
    expect(edit.status).toBe(200);
    await page.getByText("Talks are under way in Geneva.").waitFor({ timeout: SHOWS_WITHIN_MS });
    expect(await page.locator(`#update-${update.id}`).textContent()).toContain("edited");

    const removed = await server.admin(
      "DELETE",
      `/admin/articles/${article.id}/updates/${doomed.id}`,
    );
    expect(removed.status).toBe(204);
    await page
      .locator(`#update-${doomed.id}`)
      .waitFor({ state: "detached", timeout: SHOWS_WITHIN_MS });
    expect(await listedIds(page)).toEqual([`update-${update.id}`]);

    const closed = await server.admin("PATCH", `/admin/articles/${article.id}`, { live: false });
    expect(closed.status).toBe(200);
    await page
      .locator("[data-live-label]")
      .waitFor({ state: "detached", timeout: SHOWS_WITHIN_MS });
    expect(await page.getByRole("status").textContent()).toBe("This story is no longer live.");
    expect(await page.locator("section[data-live-stream]").getAttribute("data-live")).toBe("false");
    // The updates stay; no further requests once stopped (three poll intervals later).
    expect(await listedIds(page)).toEqual([`update-${update.id}`]);
    const requestsWhenStopped = streamRequests.get(page);
    await page.waitForTimeout(3 * POLL_SECONDS * 1000);
    expect(streamRequests.get(page)).toBe(requestsWhenStopped);
  });

  it("waits while the tab is hidden and catches up when it is shown again", async () => {
    const article = await pushArticle("Summit: live");
    await pushUpdate(article.id, { bodyHtml: "<p>Leaders arrive.</p>" });
    const page = await open(`/articles/${article.id}`);
    await page.waitForRequest((r) => r.url().endsWith("/updates.json"));
    await page.evaluate(() => {
      Object.defineProperty(document, "hidden", { configurable: true, get: () => true });
      document.dispatchEvent(new Event("visibilitychange"));
    });
    const late = await pushUpdate(article.id, { bodyHtml: "<p>A joint statement.</p>" });
    const requestsWhenHidden = streamRequests.get(page) ?? 0;
    await page.waitForTimeout(3 * POLL_SECONDS * 1000);
    // At most the one poll already in flight when the tab was hidden.
    expect(streamRequests.get(page)).toBeLessThanOrEqual(requestsWhenHidden + 1);
    const hiddenRequests = streamRequests.get(page) ?? 0;
    const [request] = await Promise.all([
      page.waitForRequest((r) => r.url().endsWith("/updates.json")),
      page.evaluate(() => {
        Object.defineProperty(document, "hidden", { configurable: true, get: () => false });
        document.dispatchEvent(new Event("visibilitychange"));
      }),
    ]);
    expect(request.url()).toBe(`${server.url}/articles/${article.id}/updates.json`);
    expect(streamRequests.get(page)).toBeGreaterThan(hiddenRequests);
    await page.locator(`#update-${late.id}`).waitFor({ timeout: SHOWS_WITHIN_MS });
  });

  it("backs off when the stream fails, and recovers", async () => {
    const article = await pushArticle("Outage: live");
    await pushUpdate(article.id, { bodyHtml: "<p>Before the outage.</p>" });
    const failures: number[] = [];
    const page = await pages.newPage();
    await page.route("**/updates.json", (route) => {
      failures.push(Date.now());
      return route.fulfill({ status: 503, contentType: "application/problem+json", body: "{}" });
    });
    await page.goto(`${server.url}/articles/${article.id}`);
    // Polls at 1 s, then 2 s, then 4 s after each failure: waits double.
    await expect.poll(() => failures.length, { timeout: 10_000 }).toBeGreaterThanOrEqual(3);
    const [a = 0, b = 0, c = 0] = failures;
    expect(c - b).toBeGreaterThan((b - a) * 1.5);
    await page.unroute("**/updates.json");
    const recovered = await pushUpdate(article.id, { bodyHtml: "<p>Back again.</p>" });
    await page.locator(`#update-${recovered.id}`).waitFor({ timeout: 10_000 });
  });

  it("shows every update without JavaScript, and no motion for readers who ask for none", async () => {
    const article = await pushArticle("Quiet page: live");
    const updates = [
      await pushUpdate(article.id, {
        bodyHtml: "<p>One.</p>",
        publishedAt: "2016-07-20T08:10:00Z",
      }),
      await pushUpdate(article.id, {
        bodyHtml: "<p>Two.</p>",
        publishedAt: "2016-07-20T08:20:00Z",
      }),
    ];
    const page = await pages.newPage();
    await page.route("**/assets/site.js", (route) => route.abort());
    await page.emulateMedia({ reducedMotion: "reduce" });
    await page.goto(`${server.url}/articles/${article.id}`);
    expect(await listedIds(page)).toEqual(updates.map((u) => `update-${u.id}`).reverse());
    expect(await page.locator("[data-live-label]").isVisible()).toBe(true);
    const animation = await page
      .locator(".live-badge")
      .evaluate((badge) => getComputedStyle(badge, "::before").animationName);
    expect(animation).toBe("none");
    expect(await seriousViolations(page)).toEqual([]);
  });
});
