import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { seriousViolations } from "./support/axe.ts";
import { launchChromium } from "./support/chromium.ts";
import { type ReaderServer, startReaderServer } from "./support/reader-server.ts";
import { DOCS_SCREENSHOTS as DOCS, SCREENSHOTS } from "./support/screenshots.ts";
import { watchedPages } from "./support/watched-pages.ts";

const PHONE = { width: 390, height: 844 };

/** A stand-in lead image: the fixture's image URL is not on this machine (and tests stay offline). */
const PLACEHOLDER_IMAGE = `<svg xmlns="http://www.w3.org/2000/svg" width="1200" height="675" viewBox="0 0 1200 675">
<defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="#3b5b7a"/><stop offset="1" stop-color="#b7c7d6"/></linearGradient></defs>
<rect width="1200" height="675" fill="url(#g)"/></svg>`;

let server: ReaderServer;
let chromium: Awaited<ReturnType<typeof launchChromium>>;
let context: BrowserContext;
const pages = watchedPages(() => context);

async function open(path: string, viewport?: { width: number; height: number }) {
  const page = await pages.newPage();
  if (viewport) await page.setViewportSize(viewport);
  const response = await page.goto(new URL(path, server.url).href);
  return { page, status: response?.status() };
}

async function screenshot(page: Page, name: string, docs = false) {
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
  // The README shows the first screen only, which keeps the pictures small.
  if (docs && DOCS) await page.screenshot({ path: join(DOCS, `${name}.png`) });
}

beforeAll(async () => {
  await mkdir(SCREENSHOTS, { recursive: true });
  if (DOCS) await mkdir(DOCS, { recursive: true });
  server = await startReaderServer();
  chromium = await launchChromium();
  context = chromium.context;
  await context.route("https://news.example/media/**", (route) =>
    route.fulfill({ status: 200, contentType: "image/svg+xml", body: PLACEHOLDER_IMAGE }),
  );
});

afterEach(() => pages.closeAll());

afterAll(async () => {
  await chromium?.close();
  await server?.close();
});

describe("reader pages in Chromium", () => {
  it("renders the front page with every feed", async () => {
    const { page, status } = await open("/");
    expect(status).toBe(200);
    await expect(page.getByRole("heading", { level: 1 }).textContent()).resolves.toBe("Feeds");
    expect(await page.getByRole("link", { name: "World", exact: true }).isVisible()).toBe(true);
    expect(
      await page
        .getByRole("link", { name: /concrete steps/ })
        .first()
        .isVisible(),
    ).toBe(true);
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, "index");
  });

  it("renders a feed page with its stories and subscribe box, on desktop and phone", async () => {
    for (const [name, viewport] of [
      ["feed-page-desktop", undefined],
      ["feed-page-phone", PHONE],
    ] as const) {
      const { page, status } = await open("/world", viewport);
      expect(status).toBe(200);
      expect(await page.getByRole("heading", { level: 1 }).textContent()).toBe("World");
      expect(await page.getByRole("link", { name: "RSS", exact: true }).isVisible()).toBe(true);
      expect(await page.locator("#handle").textContent()).toBe(
        `@world@${new URL(server.url).host}`,
      );
      // The copy button is shown by our script, so it ran despite the CSP.
      expect(await page.getByRole("button", { name: "Copy" }).isVisible()).toBe(true);
      expect(await page.getByText("0 followers on the fediverse").isVisible()).toBe(true);
      // Nothing wider than the screen: the layout works on a phone.
      const overflow = await page.evaluate(
        () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
      );
      expect(overflow).toBeLessThanOrEqual(0);
      expect(await seriousViolations(page)).toEqual([]);
      await screenshot(page, name, true);
    }
  });

  it("renders an article with its image, counts and replies, running nothing from them", async () => {
    for (const [name, viewport] of [
      ["article-page-desktop", undefined],
      ["article-page-phone", PHONE],
    ] as const) {
      const { page, status } = await open(`/articles/${server.story.id}`, viewport);
      expect(status).toBe(200);
      expect(await page.getByRole("heading", { level: 1 }).textContent()).toBe(
        "US and Russia plan 'concrete steps' for Syria",
      );
      const image = page.getByRole("img", { name: /Bashar al-Assad/ });
      expect(await image.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBeGreaterThan(0);
      expect(await page.locator("#counts li").allTextContents()).toEqual([
        "2 likes",
        "1 boost",
        "2 replies",
        "0 quotes",
      ]);
      expect(await page.getByText("Thanks for the clear summary").isVisible()).toBe(true);
      expect(await page.getByText("Hello").isVisible()).toBe(true);
      expect(await page.evaluate(() => "pwned" in window)).toBe(false);
      // Nothing executable in the content; the one script there is our JSON-LD data block.
      expect(
        await page.locator('main script:not([type="application/ld+json"]), main [onerror]').count(),
      ).toBe(0);
      expect(await page.locator('main script[type="application/ld+json"]').count()).toBe(1);
      expect(await page.locator('meta[name="fediverse:creator"]').getAttribute("content")).toBe(
        "@bbc@social.example",
      );
      expect(await seriousViolations(page)).toEqual([]);
      await screenshot(page, name, true);
    }
  });

  it("keeps contrast in the dark colour scheme", async () => {
    const { page } = await open(`/articles/${server.story.id}`);
    await page.emulateMedia({ colorScheme: "dark" });
    const background = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    expect(background).toBe("rgb(18, 20, 23)");
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, "article-page-dark", true);
  });

  it("shows a correction's box and the story's history, readable in both colour schemes", async () => {
    const { page, status } = await open(`/articles/${server.corrected.id}`);
    expect(status).toBe(200);
    const box = page.getByRole("complementary", { name: "Correction" });
    expect(await box.textContent()).toContain("said the talks were in Geneva.");
    expect(await seriousViolations(page)).toEqual([]);
    await page.getByRole("link", { name: "History of this story" }).click();
    await page.waitForURL(/\/history$/);
    expect(await page.getByRole("heading", { level: 1 }).textContent()).toBe(
      "History of this story",
    );
    expect(await page.locator("li[id^=revision-]").count()).toBe(3);
    const correction = page.locator("#revision-2");
    expect(await correction.locator("del").first().textContent()).toBe("[removed: Geneva]");
    expect(await correction.locator("ins").first().textContent()).toBe("[added: Moscow]");
    for (const scheme of ["light", "dark"] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      expect(await seriousViolations(page)).toEqual([]);
      await screenshot(page, `history-page-${scheme}`);
    }
  });

  it("renders a 404 page for unknown addresses", async () => {
    const { page, status } = await open("/no-such-feed");
    expect(status).toBe(404);
    expect(await page.getByRole("heading", { level: 1 }).textContent()).toBe("Page not found");
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, "not-found");
  });

  it("renders a 410 page for a deleted article", async () => {
    const { page, status } = await open(`/articles/${server.removed.id}`);
    expect(status).toBe(410);
    expect(await page.getByRole("heading", { level: 1 }).textContent()).toBe(
      "This article was removed",
    );
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, "gone");
  });

  it("copies the fediverse handle to the clipboard", async () => {
    await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: server.url });
    const { page } = await open("/world");
    const handle = `@world@${new URL(server.url).host}`;
    await page.getByRole("button", { name: "Copy" }).click();
    await page.getByText(`Copied ${handle} to the clipboard.`).waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(handle);
  });

  it("sends 'Follow from your server' to the reader's server, without leaving the machine", async () => {
    const { page } = await open("/world");
    await page.getByLabel(/Follow from your server/).fill("@reader@mastodon.example");
    // Chromium does not hand a redirect's target to request interception, so the navigation to
    // the reader's server is observed instead: the browser resolves no names but loopback (see
    // support/chromium.ts), so it fails right here, on this machine.
    const [request] = await Promise.all([
      page.waitForRequest((r) => r.url().startsWith("https://mastodon.example/")),
      page.getByRole("button", { name: "Follow" }).click(),
    ]);
    const actor = `${server.url}/ap/feeds/world`;
    expect(request.url()).toBe(
      `https://mastodon.example/authorize_interaction?uri=${encodeURIComponent(actor)}`,
    );
    expect(request.isNavigationRequest()).toBe(true);
    expect(request.redirectedFrom()?.url()).toBe(
      `${server.url}/world/follow?instance=${encodeURIComponent("@reader@mastodon.example")}`,
    );
  });
});

describe("styled feeds in Chromium", () => {
  for (const format of ["rss", "atom"] as const) {
    it(`shows the ${format} feed as a readable page through its XSLT stylesheet`, async () => {
      const { page, status } = await open(`/feeds/world.${format}`);
      expect(status).toBe(200);
      expect(await page.evaluate(() => typeof XSLTProcessor)).toBe("function");
      await expectStyledFeed(page, format);
      await screenshot(page, `styled-feed-${format}`);
    });
  }

  it("shows the same page where XSLT is gone, through the feed's fallback script", async () => {
    // What Chromium does once XSLT is removed (the flag is how its own tests switch it off).
    const withoutXslt = await launchChromium({ extraArgs: ["--disable-blink-features=XSLT"] });
    try {
      for (const format of ["rss", "atom"] as const) {
        const page = await withoutXslt.context.newPage();
        const errors: string[] = [];
        page.on("pageerror", (error) => errors.push(error.message));
        const response = await page.goto(`${server.url}/feeds/world.${format}`);
        expect(response?.status()).toBe(200);
        expect(await page.evaluate(() => typeof XSLTProcessor)).toBe("undefined");
        await page.getByText("This is a web feed").waitFor();
        await expectStyledFeed(page, format);
        expect(errors).toEqual([]);
        await screenshot(page, `styled-feed-${format}-without-xslt`);
        await page.close();
      }
    } finally {
      await withoutXslt.close();
    }
  });
});

async function expectStyledFeed(page: Page, format: "rss" | "atom") {
  expect(await page.getByText("This is a web feed").isVisible()).toBe(true);
  expect(await page.getByRole("heading", { level: 1 }).textContent()).toBe("World");
  const headline = page.getByRole("link", {
    name: "US and Russia plan 'concrete steps' for Syria",
  });
  expect(await headline.getAttribute("href")).toBe(`${server.url}/articles/${server.story.id}`);
  // Atom titles are escaped HTML: the page shows the characters, not the escapes.
  expect(
    await page.getByText("Geneva talks to resume next week, US & Russian diplomats say").count(),
  ).toBe(1);
  expect(await page.getByText(`${server.url}/feeds/world.${format}`).isVisible()).toBe(true);
  expect(await page.getByRole("link", { name: "the feed's page" }).getAttribute("href")).toBe(
    `${server.url}/world`,
  );
  // The feed's history (RFC 5005): its newest archive page, one story in, so no newer one.
  expect(await page.getByRole("link", { name: "Older stories" }).getAttribute("href")).toBe(
    `${server.url}/feeds/world/archive/1.${format}`,
  );
  expect(await page.getByRole("link", { name: "Newer stories" }).count()).toBe(0);
}
