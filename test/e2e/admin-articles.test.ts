import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ArticleOutput } from "../../src/schemas/article.schema.ts";
import { DATABASE_KINDS } from "../support/databases.ts";
import { fixtureStoryPush } from "../support/fixture-push.ts";
import { createTestApp, PUBLIC_URL, type TestApp } from "../support/test-app.ts";

const article = (overrides: Record<string, unknown> = {}) => ({
  headline: "Ceasefire talks resume in Geneva",
  bodyHtml: "<p>Delegations met on Monday.</p>",
  feeds: ["world"],
  ...overrides,
});

describe.each(DATABASE_KINDS)("admin articles API on %s", (kind) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(kind);
  });
  afterAll(() => t.destroy());

  const push = async (body: unknown) => {
    const response = await t.admin("POST", "/admin/articles", body);
    return { response, json: (await response.json()) as ArticleOutput };
  };

  it("creates the fixture story with its id, public URL and every field", async () => {
    const input = fixtureStoryPush();
    const { response, json } = await push(input);
    expect(response.status).toBe(201);
    expect(response.headers.get("location")).toBe(`/admin/articles/${json.id}`);
    expect(json.url).toBe(`${PUBLIC_URL}/articles/${json.id}`);
    expect(json.status).toBe("published");
    expect(json.headline).toBe("US and Russia plan 'concrete steps' for Syria");
    expect(json.feeds).toEqual(["us-russia-syria", "world"]);
    expect(json.publishedAt).toBe("2016-07-20T00:00:00.000Z");
    expect(json.updatedAt).toBe(json.publishedAt);
    expect(json.revision).toBe(1);
    expect(json.language).toBe("en-GB");
    expect(json.image?.credit).toBe("REUTERS/SANA/Handout via Reuters");
    expect(json.bodyHtml.match(/<p>/g)).toHaveLength(17);
    expect(json.authors).toEqual([{ name: "BBC News", url: "https://www.bbc.co.uk/news" }]);
  });

  it("returns the same article for the same externalId: 200, no duplicate", async () => {
    const first = await push(article({ externalId: "cms-1001" }));
    const again = await push(article({ externalId: "cms-1001", headline: "Different text" }));
    expect(first.response.status).toBe(201);
    expect(again.response.status).toBe(200);
    expect(again.json.id).toBe(first.json.id);
    expect(again.json.headline).toBe("Ceasefire talks resume in Geneva");
    const { rows } = await sql<{ n: number }>`
      select count(*)::int as n from articles where external_id = 'cms-1001'`.execute(
      t.database.db,
    );
    expect(rows[0]?.n).toBe(1);
  });

  it("creates one article when the same externalId is pushed concurrently", async () => {
    const results = await Promise.all(
      Array.from({ length: 8 }, () => push(article({ externalId: "cms-race" }))),
    );
    expect(new Set(results.map((r) => r.json.id)).size).toBe(1);
    expect(results.filter((r) => r.response.status === 201)).toHaveLength(1);
    const { rows } = await sql<{ n: number }>`
      select count(*)::int as n from article_revisions r join articles a on a.id = r.article_id
      where a.external_id = 'cms-race'`.execute(t.database.db);
    expect(rows[0]?.n).toBe(1);
  });

  it("sanitises the body: scripts, handlers and iframes gone, links absolute", async () => {
    const { json } = await push(
      article({
        bodyHtml:
          '<p onclick="steal()">Read <a href="/world/geneva">more</a></p><script>alert(1)</script><iframe src="https://evil.example"></iframe><blockquote>Quote</blockquote>',
      }),
    );
    expect(json.bodyHtml).toBe(
      `<p>Read <a href="${PUBLIC_URL}/world/geneva">more</a></p><blockquote>Quote</blockquote>`,
    );
  });

  it("takes the first feed's language when none is given", async () => {
    const { json } = await push(article());
    expect(json.language).toBe("en");
  });

  it("revises with PATCH: new revision, updatedAt, revision history kept", async () => {
    const { json: created } = await push(article({ publishedAt: "2026-01-01T08:00:00Z" }));
    const response = await t.admin("PATCH", `/admin/articles/${created.id}`, {
      headline: "Ceasefire talks resume in Geneva (corrected)",
      tags: ["Syria"],
    });
    expect(response.status).toBe(200);
    const revised = (await response.json()) as ArticleOutput;
    expect(revised.revision).toBe(2);
    expect(revised.headline).toBe("Ceasefire talks resume in Geneva (corrected)");
    expect(revised.tags).toEqual(["Syria"]);
    expect(revised.bodyHtml).toBe(created.bodyHtml);
    expect(Date.parse(revised.updatedAt)).toBeGreaterThan(Date.parse(created.updatedAt));
    const { rows } = await sql<{ revision: number; headline: string }>`
      select revision, snapshot->>'headline' as headline from article_revisions
      where article_id = ${created.id} order by revision`.execute(t.database.db);
    expect(rows).toEqual([
      { revision: 1, headline: "Ceasefire talks resume in Geneva" },
      { revision: 2, headline: "Ceasefire talks resume in Geneva (corrected)" },
    ]);
  });

  it("deletes to a tombstone: 204, public URL 410, PATCH 410, delete again harmless", async () => {
    const { json: created } = await push(article());
    expect((await t.get(`/articles/${created.id}`)).status).toBe(200);
    const deleted = await t.admin("DELETE", `/admin/articles/${created.id}`);
    expect(deleted.status).toBe(204);
    expect((await t.get(`/articles/${created.id}`)).status).toBe(410);
    const tombstone = (await (
      await t.admin("GET", `/admin/articles/${created.id}`)
    ).json()) as ArticleOutput;
    expect(tombstone.status).toBe("deleted");
    expect(tombstone.revision).toBe(2);
    expect(tombstone.deletedAt).not.toBeNull();
    const patch = await t.admin("PATCH", `/admin/articles/${created.id}`, { headline: "Back" });
    expect(patch.status).toBe(410);
    expect((await t.admin("DELETE", `/admin/articles/${created.id}`)).status).toBe(204);
  });

  it("takes a follow-up in a closed feed without reopening it, and lets old ones be corrected", async () => {
    const created = await t.admin("POST", "/admin/feeds", {
      slug: "geneva-talks",
      kind: "story",
      title: "Geneva talks",
    });
    expect(created.status).toBe(201);
    const { json: inStory } = await push(article({ feeds: ["geneva-talks"] }));
    const closed = await t.admin("PATCH", "/admin/feeds/geneva-talks", { status: "closed" });
    expect(((await closed.json()) as { status: string }).status).toBe("closed");
    const followUp = await t.admin("POST", "/admin/articles", article({ feeds: ["geneva-talks"] }));
    expect(followUp.status).toBe(201);
    const feed = await t.admin("GET", "/admin/feeds/geneva-talks");
    expect(((await feed.json()) as { status: string }).status).toBe("closed");
    const correction = await t.admin("PATCH", `/admin/articles/${inStory.id}`, {
      headline: "Fixed",
    });
    expect(correction.status).toBe(200);
  });

  it("lists newest first, filtered by feed, paged with a cursor", async () => {
    await t.admin("POST", "/admin/feeds", { slug: "paging", title: "Paging" });
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const { json } = await push(
        article({
          feeds: ["paging"],
          publishedAt: `2026-02-0${i + 1}T12:00:00Z`,
          headline: `Day ${i + 1}`,
        }),
      );
      ids.push(json.id);
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = cursor ? `&cursor=${cursor}` : "";
      const response = await t.admin("GET", `/admin/articles?feed=paging&limit=2${query}`);
      const page = (await response.json()) as { items: ArticleOutput[]; nextCursor: string | null };
      seen.push(...page.items.map((a) => a.id));
      cursor = page.nextCursor;
      pages++;
    } while (cursor && pages < 10);
    expect(pages).toBe(3);
    expect(seen).toEqual([...ids].reverse());
    const unknown = await t.admin("GET", "/admin/articles?feed=no-such-feed");
    expect(unknown.status).toBe(422);
  });

  it("creates, reads and edits feeds with their addresses and handle", async () => {
    const response = await t.admin("GET", "/admin/feeds/world");
    const feed = (await response.json()) as { handle: string; urls: Record<string, string> };
    expect(feed.handle).toBe("@world@news.example");
    expect(feed.urls).toEqual({
      page: `${PUBLIC_URL}/world`,
      rss: `${PUBLIC_URL}/feeds/world.rss`,
      atom: `${PUBLIC_URL}/feeds/world.atom`,
      json: `${PUBLIC_URL}/feeds/world.json`,
    });
    const list = (await (await t.admin("GET", "/admin/feeds")).json()) as {
      items: { slug: string }[];
    };
    expect(list.items.map((f) => f.slug)).toEqual(
      expect.arrayContaining(["us-russia-syria", "world"]),
    );
    const edited = await t.admin("PATCH", "/admin/feeds/world", { title: "World news" });
    expect(((await edited.json()) as { title: string }).title).toBe("World news");
    expect((await t.admin("GET", "/admin/feeds/nope")).status).toBe(404);
  });

  it("publishes the OpenAPI description built from the same schemas", async () => {
    const response = await t.get("/admin/openapi.json");
    const doc = (await response.json()) as {
      openapi: string;
      paths: Record<string, unknown>;
      components: {
        schemas: { ArticleInput: { properties: Record<string, unknown>; required: string[] } };
      };
    };
    expect(doc.openapi).toBe("3.0.3");
    expect(Object.keys(doc.paths)).toEqual([
      "/admin/articles",
      "/admin/articles/{id}",
      "/admin/articles/{id}/updates",
      "/admin/articles/{id}/updates/{updateId}",
      "/admin/feeds",
      "/admin/feeds/{slug}/followers",
      "/admin/feeds/{slug}",
      "/admin/articles/{id}/deliveries",
      "/admin/servers",
      "/admin/tokens",
      "/admin/tokens/{idOrName}",
      "/admin/audit",
      "/admin/blocks",
      "/admin/blocks/import",
      "/admin/blocks/{idOrTarget}",
      "/admin/reports",
      "/admin/reports/{id}",
      "/admin/replies/{id}",
    ]);
    expect(Object.keys(doc.components.schemas.ArticleInput.properties)).toEqual(
      expect.arrayContaining([
        "headline",
        "bodyHtml",
        "feeds",
        "externalId",
        "publishedAt",
        "image",
      ]),
    );
    expect(doc.components.schemas.ArticleInput.required).toEqual(
      expect.arrayContaining(["headline", "bodyHtml", "feeds"]),
    );
  });

  it("reports health with the database", async () => {
    const response = await t.get("/healthz");
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: "ok" });
  });
});
