import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type FederatedServer, startFederatedServer } from "../support/federated-server.ts";
import { follow, type PeerServer, postSigned, startPeerServer } from "../support/fediverse-peer.ts";
import { ADMIN_TOKEN } from "../support/test-app.ts";
import { seriousViolations } from "./support/axe.ts";
import { launchChromium } from "./support/chromium.ts";
import { DOCS_SCREENSHOTS as DOCS, SCREENSHOTS } from "./support/screenshots.ts";
import { watchedPages } from "./support/watched-pages.ts";

const PHONE = { width: 375, height: 812 };
const DESKTOP = { width: 1280, height: 900 };
/** Loopback follower servers of the `world` feed. */
const PEER_HOSTS = ["127.0.0.51", "127.0.0.52", "127.0.0.53"];
/** Delivery to loopback peers takes well under a second; this is for a busy 2-core machine. */
const DELIVERED_WITHIN_MS = 30_000;

let server: FederatedServer;
let peers: PeerServer[] = [];
let chromium: Awaited<ReturnType<typeof launchChromium>>;
let context: BrowserContext;
const pages = watchedPages(() => context);
/** The story pushed from the desk, shared by the cases after the first. */
let storyPath = "";

async function screenshot(page: Page, name: string) {
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
  if (DOCS) await page.screenshot({ path: join(DOCS, `${name}.png`), fullPage: true });
}

/** No serious or critical axe finding, in the light and the dark scheme. */
async function expectAccessible(page: Page) {
  for (const colorScheme of ["light", "dark"] as const) {
    await page.emulateMedia({ colorScheme });
    expect(await seriousViolations(page), `${colorScheme}: ${page.url()}`).toEqual([]);
  }
  await page.emulateMedia({ colorScheme: "light" });
}

async function signedInPage(): Promise<Page> {
  const page = await pages.newPage();
  await page.goto(new URL("/desk", server.url).href);
  if (new URL(page.url()).pathname === "/desk/sign-in") {
    await page.getByLabel("Admin token").fill(ADMIN_TOKEN);
    await page.keyboard.press("Enter");
    await page.waitForURL((url) => url.pathname === "/desk");
  }
  return page;
}

beforeAll(async () => {
  await mkdir(SCREENSHOTS, { recursive: true });
  if (DOCS) await mkdir(DOCS, { recursive: true });
  server = await startFederatedServer("pglite");
  peers = await Promise.all(PEER_HOSTS.map((host) => startPeerServer({ host, actors: ["ann"] })));
  const actorId = `${server.url}/ap/feeds/world`;
  for (const peer of peers) {
    const actor = peer.actor("ann");
    const response = await postSigned(`${actorId}/inbox`, follow(actor, actorId), { actor });
    expect(response.status).toBe(202);
    await peer.waitFor((r) => r.type === "Accept", 15_000);
  }
  await server.settle();
  chromium = await launchChromium();
  context = chromium.context;
});

afterEach(() => pages.closeAll());

afterAll(async () => {
  await chromium?.close();
  await Promise.all(peers.map((peer) => peer.close()));
  await server?.close();
});

describe("the newsroom desk in Chromium", () => {
  it("signs in with a token, typed and sent from the keyboard", async () => {
    const page = await pages.newPage();
    await page.goto(new URL("/desk", server.url).href);
    expect(new URL(page.url()).pathname).toBe("/desk/sign-in");
    await expectAccessible(page);
    await page.getByLabel("Admin token").fill("wrong");
    await page.keyboard.press("Enter");
    await page.waitForLoadState();
    await expect
      .poll(() => page.locator("#token-error").textContent())
      .toBe("is not a valid token");
    expect(await page.getByLabel("Admin token").getAttribute("aria-invalid")).toBe("true");
    await expectAccessible(page);
    await screenshot(page, "desk-sign-in");
    await page.getByLabel("Admin token").fill(ADMIN_TOKEN);
    await page.keyboard.press("Enter");
    await page.waitForURL((url) => url.pathname === "/desk");
    expect(await page.getByRole("heading", { level: 1 }).textContent()).toBe("Overview");
    const cookies = await context.cookies(server.url);
    const session = cookies.find((cookie) => cookie.name === "tidings-desk");
    expect(session?.httpOnly).toBe(true);
    expect(session?.sameSite).toBe("Strict");
  });

  it("refuses an empty story with the API's messages next to the fields", async () => {
    const page = await signedInPage();
    await page.getByRole("link", { name: "Compose", exact: true }).click();
    await page.waitForURL((url) => url.pathname === "/desk/compose");
    await expectAccessible(page);
    await page.getByRole("button", { name: "Push the story" }).click();
    await page.waitForLoadState();
    const summary = page.getByRole("alert");
    await expect.poll(() => summary.isVisible()).toBe(true);
    // desk.js moves focus to the summary, so a screen reader reads it first.
    await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe("error-summary");
    expect(await page.locator("#headline-error").textContent()).toBe("must not be empty");
    expect(await page.locator("#feeds-error").textContent()).toBe("name at least one feed");
    await expectAccessible(page);
    await screenshot(page, "desk-compose-errors");
  });

  it("pushes a story and shows its delivery reach N of N servers, live", async () => {
    const page = await signedInPage();
    await page.goto(new URL("/desk/compose", server.url).href);
    await page.getByLabel("Headline").fill("Ceasefire talks open in Geneva");
    await page.getByLabel("Standfirst").fill("Envoys meet for a first round on Monday.");
    await page.getByLabel("Body").fill("<p>Delegations arrived in Geneva on Sunday.</p>");
    await page.getByLabel("Byline").fill("Jo Reporter");
    await page.getByLabel("Image URL").fill("https://media.example/geneva.jpg");
    await page.getByLabel("Image description").fill("Delegates around a long table");
    await page.getByLabel("Tags").fill("Syria, diplomacy");
    await page.getByLabel("World").check();
    await page.getByRole("button", { name: "Push the story" }).click();
    await page.waitForURL((url) => url.pathname.startsWith("/desk/stories/"));
    storyPath = new URL(page.url()).pathname;
    expect(await page.getByRole("status").first().textContent()).toBe("The story is pushed.");
    // The panel polls delivery.json until every follower server has answered.
    await page
      .getByText(`Delivery finished: ${PEER_HOSTS.length} of ${PEER_HOSTS.length} servers.`)
      .waitFor({ timeout: DELIVERED_WITHIN_MS });
    expect(await page.locator("[data-count=delivered]").textContent()).toBe(
      String(PEER_HOSTS.length),
    );
    for (const host of PEER_HOSTS) {
      expect(await page.getByRole("row", { name: new RegExp(host) }).textContent()).toContain(
        "delivered",
      );
    }
    for (const peer of peers) {
      expect(peer.received.some((r) => r.type === "Create")).toBe(true);
    }
    await expectAccessible(page);
    await screenshot(page, "desk-story");

    await page.getByRole("navigation").getByRole("link", { name: "Overview" }).click();
    await page.waitForURL((url) => url.pathname === "/desk");
    expect(await page.locator(".last-publish a").textContent()).toBe(
      "Ceasefire talks open in Geneva",
    );
    expect(await page.locator(".last-publish [data-delivery-status]").textContent()).toBe(
      `Delivery finished: ${PEER_HOSTS.length} of ${PEER_HOSTS.length} servers.`,
    );
    expect(await page.getByText(`${PEER_HOSTS.length} followers`).count()).toBe(1);
    await expectAccessible(page);
    await screenshot(page, "desk-overview");
    await page.setViewportSize(PHONE);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(
      PHONE.width,
    );
    await expectAccessible(page);
    await screenshot(page, "desk-overview-phone");
    await page.emulateMedia({ colorScheme: "dark" });
    await screenshot(page, "desk-overview-phone-dark");
    await page.setViewportSize(DESKTOP);
  });

  it("adds an update and corrects the story", async () => {
    expect(storyPath).not.toBe("");
    const page = await signedInPage();
    await page.goto(new URL(storyPath, server.url).href);
    await page.getByLabel("Update headline").fill("Talks adjourn for the day");
    await page.getByLabel("Update", { exact: true }).fill("<p>They resume tomorrow at nine.</p>");
    await page.getByRole("button", { name: "Post update" }).click();
    await page.waitForURL((url) => url.search === "?done=update-posted");
    expect(await page.getByRole("region", { name: /Updates/ }).textContent()).toContain(
      "Talks adjourn for the day",
    );

    await page.getByLabel("Correction note").fill("An earlier version misdated the arrival.");
    await page.getByRole("button", { name: "Publish correction" }).click();
    await page.waitForURL((url) => url.search === "?done=corrected");
    expect(await page.getByRole("region", { name: /Revisions/ }).textContent()).toContain(
      "Correction: An earlier version misdated the arrival.",
    );
    // The correction is revision 2: its delivery is followed again, to N of N.
    await page
      .getByText(`Delivery finished: ${PEER_HOSTS.length} of ${PEER_HOSTS.length} servers.`)
      .waitFor({ timeout: DELIVERED_WITHIN_MS });
    expect(await page.getByRole("heading", { name: "Delivery of revision 2" }).count()).toBe(1);
    await expectAccessible(page);
    await page.setViewportSize(PHONE);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(
      PHONE.width,
    );
    await screenshot(page, "desk-story-phone");
    await page.setViewportSize(DESKTOP);
  });

  it("closes a story feed, and lists the servers", async () => {
    const page = await signedInPage();
    await page.getByRole("navigation").getByRole("link", { name: "Feeds" }).click();
    await page.waitForURL((url) => url.pathname === "/desk/feeds");
    await expectAccessible(page);
    await page.getByRole("button", { name: "Close US, Russia and the war in Syria" }).click();
    await page.waitForURL((url) => url.search === "?done=feed-closed");
    expect(
      await page.getByRole("row", { name: /US, Russia and the war in Syria/ }).textContent(),
    ).toContain("closed");
    const feed = (await (await server.admin("GET", "/admin/feeds/us-russia-syria")).json()) as {
      status: string;
    };
    expect(feed.status).toBe("closed");
    await screenshot(page, "desk-feeds");

    await page.getByRole("navigation").getByRole("link", { name: "Servers" }).click();
    await page.waitForURL((url) => url.pathname === "/desk/servers");
    for (const host of PEER_HOSTS) {
      expect(await page.getByRole("row", { name: new RegExp(host) }).count()).toBe(1);
    }
    await expectAccessible(page);
    await screenshot(page, "desk-servers");
  });
});
