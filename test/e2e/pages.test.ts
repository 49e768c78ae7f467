import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ArticleOutput } from "../../src/schemas/article.schema.ts";
import { createTestApp, PUBLIC_URL, type TestApp } from "../support/test-app.ts";

describe("reader pages", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp("pglite");
  });
  afterAll(() => t.destroy());

  it("shows a feed's page with its stories and every way to follow it", async () => {
    const pushed = (await (
      await t.admin("POST", "/admin/articles", {
        headline: "Talks <resume> in Geneva",
        bodyHtml: "<p>Text</p>",
        feeds: ["world"],
      })
    ).json()) as ArticleOutput;
    const response = await t.get("/world");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/html/);
    const page = await response.text();
    expect(page).toContain("<h1>World</h1>");
    expect(page).toContain(
      `<a href="${PUBLIC_URL}/articles/${pushed.id}">Talks &lt;resume&gt; in Geneva</a>`,
    );
    expect(page).toContain(`href="${PUBLIC_URL}/feeds/world.rss"`);
    expect(page).toContain(`<link rel="alternate" type="application/atom+xml"`);
    expect(page).toContain("<code>@world@news.example</code>");
  });

  it("answers 404 for unknown feeds and articles", async () => {
    expect((await t.get("/no-such-feed")).status).toBe(404);
    expect((await t.get("/articles/01a21853-344d-7e00-9702-8130acfa9578")).status).toBe(404);
  });

  it("keeps the service's own paths out of feed slugs", async () => {
    const response = await t.admin("POST", "/admin/feeds", { slug: "admin", title: "Admin" });
    expect(response.status).toBe(422);
    const body = (await response.json()) as { errors: { pointer: string; detail: string }[] };
    expect(body.errors).toEqual([
      { pointer: "/slug", detail: "is reserved for the service's own pages" },
    ]);
  });
});
