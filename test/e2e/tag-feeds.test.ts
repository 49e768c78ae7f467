import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DATABASE_KINDS } from "../support/databases.ts";
import { CONTENT_TYPES, titles } from "../support/feed-items.ts";
import { fixtureStoryPush } from "../support/fixture-push.ts";
import { createTestApp, fixedClock, PUBLIC_URL, type TestApp } from "../support/test-app.ts";

/**
 * Tags as feeds: a story's tags become hashtags linking to `/tags/{tag}`, a page of that tag's
 * stories from every feed, with its own RSS, Atom and JSON Feed, cached like feeds' (ETag/304,
 * rebuilt after a change).
 */
describe.each(DATABASE_KINDS)("tag feeds on %s", (kind) => {
  let t: TestApp;
  const clock = fixedClock(new Date("2026-11-26T12:00:00Z"));

  beforeAll(async () => {
    t = await createTestApp(kind, { clock });
    const push = await t.admin("POST", "/admin/articles", fixtureStoryPush()); // Syria, Russia, United States
    expect(push.status).toBe(201);
    const other = await t.admin("POST", "/admin/articles", {
      headline: "Markets close higher",
      bodyHtml: "<p>Stocks.</p>",
      feeds: ["world"],
      tags: ["Economy", "United States"],
    });
    expect(other.status).toBe(201);
  });
  afterAll(() => t.destroy());

  it("serves a tag's stories in all three formats, valid, with their own links", async () => {
    for (const format of ["rss", "atom", "json"] as const) {
      const response = await t.get(`/tags/unitedstates.${format}`);
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toBe(CONTENT_TYPES[format]);
      const body = await response.text();
      expect(titles(format, body).sort()).toEqual(
        ["Markets close higher", "US and Russia plan 'concrete steps' for Syria"].sort(),
      );
      expect(body).toContain(`${PUBLIC_URL}/tags/unitedstates.${format}`);
      const etag = response.headers.get("etag");
      expect(etag).toBeTruthy();
      expect(
        (await t.get(`/tags/unitedstates.${format}`, { "if-none-match": etag ?? "" })).status,
      ).toBe(304);
    }
    const syria = await t.get("/tags/syria.json");
    expect(titles("json", await syria.text())).toEqual([
      "US and Russia plan 'concrete steps' for Syria",
    ]);
  });

  it("has a page listing the tag's stories and linking its feeds", async () => {
    const response = await t.get("/tags/economy", { accept: "text/html" });
    expect(response.status).toBe(200);
    const html = await response.text();
    expect(html).toContain("<h1>#Economy</h1>");
    expect(html).toContain("Markets close higher");
    expect(html).toContain(`href="${PUBLIC_URL}/tags/economy.atom"`);
    expect((await t.get("/tags/nothing-here")).status).toBe(404);
    expect((await t.get("/tags/nothing.rss")).status).toBe(404);
  });

  it("rebuilds the tag's documents after a change", async () => {
    const before = await t.get("/tags/economy.rss");
    const etag = before.headers.get("etag") ?? "";
    const added = await t.admin("POST", "/admin/articles", {
      headline: "Rates unchanged",
      bodyHtml: "<p>Banks.</p>",
      feeds: ["world"],
      tags: ["economy"],
    });
    expect(added.status).toBe(201);
    const after = await t.get("/tags/economy.rss", { "if-none-match": etag });
    expect(after.status).toBe(200);
    expect(titles("rss", await after.text())).toContain("Rates unchanged");
  });
});
