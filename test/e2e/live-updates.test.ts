import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ArticleOutput, LiveUpdateOutput } from "../../src/schemas/article.schema.ts";
import { DATABASE_KINDS } from "../support/databases.ts";
import { createTestApp, fixedClock, PUBLIC_URL, type TestApp } from "../support/test-app.ts";

interface ProblemBody {
  type: string;
  errors?: { pointer: string; detail: string }[];
}

describe.each(DATABASE_KINDS)("live updates on %s", (kind) => {
  let t: TestApp;
  const clock = fixedClock(new Date("2016-07-20T09:00:00Z"));
  beforeAll(async () => {
    t = await createTestApp(kind, { clock });
  });
  afterAll(() => t.destroy());

  const pushArticle = async (overrides: Record<string, unknown> = {}) => {
    const response = await t.admin("POST", "/admin/articles", {
      headline: "US and Russia plan 'concrete steps' for Syria",
      bodyHtml: "<p>Talks in Moscow.</p>",
      feeds: ["us-russia-syria"],
      publishedAt: "2016-07-20T08:00:00Z",
      ...overrides,
    });
    expect(response.status).toBe(201);
    return (await response.json()) as ArticleOutput;
  };
  const pushUpdate = async (articleId: string, body: unknown) => {
    const response = await t.admin("POST", `/admin/articles/${articleId}/updates`, body);
    return { response, json: (await response.json()) as LiveUpdateOutput & ProblemBody };
  };
  const updateCount = async (articleId: string) => {
    const { rows } = await sql<{ n: number }>`
      select count(*)::int as n from live_updates where article_id = ${articleId}`.execute(
      t.database.db,
    );
    return rows[0]?.n;
  };
  const getArticle = async (id: string) =>
    (await (await t.admin("GET", `/admin/articles/${id}`)).json()) as ArticleOutput;

  it("pushes an update: 201, its anchor URL, the article live and its updatedAt bumped", async () => {
    const article = await pushArticle();
    expect(article.live).toBe(false);
    clock.advance(60_000);
    const { response, json } = await pushUpdate(article.id, {
      headline: "Kerry arrives in Moscow",
      bodyHtml: "<p>The Secretary of State landed.</p>",
    });
    expect(response.status).toBe(201);
    expect(response.headers.get("location")).toBe(
      `/admin/articles/${article.id}/updates/${json.id}`,
    );
    expect(json.url).toBe(`${PUBLIC_URL}/articles/${article.id}#update-${json.id}`);
    expect(json.status).toBe("published");
    expect(json.publishedAt).toBe("2016-07-20T09:01:00.000Z");
    expect(json.revision).toBe(1);
    const after = await getArticle(article.id);
    expect(after.live).toBe(true);
    expect(after.updatedAt).toBe("2016-07-20T09:01:00.000Z");
  });

  it("bumps the article's entry in its feeds: new ETag, <updated> at the push", async () => {
    const article = await pushArticle({ headline: "Feed bump story" });
    const before = await t.get("/feeds/us-russia-syria.atom");
    expect(before.status).toBe(200);
    const etag = before.headers.get("etag");
    clock.advance(120_000);
    const { json } = await pushUpdate(article.id, { bodyHtml: "<p>Later</p>" });
    const after = await t.get("/feeds/us-russia-syria.atom");
    expect(after.headers.get("etag")).not.toBe(etag);
    const atom = await after.text();
    const entry = atom.split("<entry>").find((e) => e.includes(article.id)) ?? "";
    expect(entry).toContain(`<updated>${json.publishedAt}</updated>`);
  });

  it("is idempotent on externalId: 201 then 200 with the same update, one row", async () => {
    const article = await pushArticle();
    const first = await pushUpdate(article.id, { bodyHtml: "<p>One</p>", externalId: "u-1" });
    const again = await pushUpdate(article.id, { bodyHtml: "<p>Other</p>", externalId: "u-1" });
    expect(first.response.status).toBe(201);
    expect(again.response.status).toBe(200);
    expect(again.json.id).toBe(first.json.id);
    expect(again.json.bodyHtml).toBe("<p>One</p>");
    expect(await updateCount(article.id)).toBe(1);
    // The same externalId on another article is another update.
    const other = await pushArticle();
    const elsewhere = await pushUpdate(other.id, { bodyHtml: "<p>One</p>", externalId: "u-1" });
    expect(elsewhere.response.status).toBe(201);
  });

  it("creates one update when the same externalId is pushed concurrently", async () => {
    const article = await pushArticle();
    const results = await Promise.all(
      Array.from({ length: 6 }, () =>
        pushUpdate(article.id, { bodyHtml: "<p>Race</p>", externalId: "u-race" }),
      ),
    );
    expect(new Set(results.map((r) => r.json.id)).size).toBe(1);
    expect(results.filter((r) => r.response.status === 201)).toHaveLength(1);
    expect(await updateCount(article.id)).toBe(1);
  });

  it("keeps the article not live when told so, and PATCH sets live on and off", async () => {
    const article = await pushArticle();
    await pushUpdate(article.id, { bodyHtml: "<p>Quiet</p>", live: false });
    expect((await getArticle(article.id)).live).toBe(false);
    const on = await t.admin("PATCH", `/admin/articles/${article.id}`, { live: true });
    expect(on.status).toBe(200);
    expect(((await on.json()) as ArticleOutput).live).toBe(true);
    const off = await t.admin("PATCH", `/admin/articles/${article.id}`, { live: false });
    expect(((await off.json()) as ArticleOutput).live).toBe(false);
  });

  it("sanitises the body like an article's", async () => {
    const article = await pushArticle();
    const { json } = await pushUpdate(article.id, {
      bodyHtml: '<p onclick="x()">See <a href="/more">more</a></p><script>alert(1)</script>',
    });
    expect(json.bodyHtml).toBe(`<p>See <a href="${PUBLIC_URL}/more">more</a></p>`);
  });

  it("lists updates newest first by publishedAt", async () => {
    const article = await pushArticle();
    for (const [i, at] of ["09:10", "09:30", "09:20"].entries()) {
      await pushUpdate(article.id, {
        bodyHtml: `<p>Update ${i}</p>`,
        publishedAt: `2016-07-20T${at}:00Z`,
      });
    }
    const list = (await (await t.admin("GET", `/admin/articles/${article.id}/updates`)).json()) as {
      items: LiveUpdateOutput[];
    };
    expect(list.items.map((u) => u.publishedAt.slice(11, 16))).toEqual(["09:30", "09:20", "09:10"]);
  });

  it("answers every bad input with problem+json naming the field, and writes nothing", async () => {
    const article = await pushArticle();
    const cases: [unknown, string[]][] = [
      [{}, ["/bodyHtml"]],
      [{ bodyHtml: "   " }, ["/bodyHtml"]],
      [{ bodyHtml: "<p>x</p>", publishedAt: "yesterday" }, ["/publishedAt"]],
      [{ bodyHtml: "<p>x</p>", headline: "" }, ["/headline"]],
      [{ bodyHtml: "<p>x</p>", externalId: "a\u0001b" }, ["/externalId"]],
      [{ bodyHtml: "<p>x</p>", image: { url: "https://img.example/a.jpg" } }, ["/image/alt"]],
      [{ bodyHtml: "<p>x</p>", live: "yes" }, ["/live"]],
      [{ bodyHtml: "<p>x</p>", colour: "red" }, [""]],
    ];
    for (const [body, pointers] of cases) {
      const { response, json } = await pushUpdate(article.id, body);
      expect(response.status, JSON.stringify(body)).toBe(422);
      expect(response.headers.get("content-type")).toContain("application/problem+json");
      for (const pointer of pointers) {
        expect(
          json.errors?.some((e) => e.pointer === pointer || (pointer === "" && e.pointer)),
          `${JSON.stringify(body)} -> ${JSON.stringify(json.errors)}`,
        ).toBe(true);
      }
    }
    const malformed = await t.app.request(`/admin/articles/${article.id}/updates`, {
      method: "POST",
      headers: { authorization: `Bearer ${t.deps.adminToken}`, "content-type": "application/json" },
      body: "{not json",
    });
    expect(malformed.status).toBe(400);
    expect(await updateCount(article.id)).toBe(0);
    expect((await getArticle(article.id)).live).toBe(false);

    const missing = await pushUpdate("0190b6a4-0000-7000-8000-000000000000", {
      bodyHtml: "<p>x</p>",
    });
    expect(missing.response.status).toBe(404);
    expect(missing.json.type).toBe("/problems/not-found");
    const unauthenticated = await t.app.request(`/admin/articles/${article.id}/updates`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ bodyHtml: "<p>x</p>" }),
    });
    expect(unauthenticated.status).toBe(401);
    expect(await updateCount(article.id)).toBe(0);
  });

  it("refuses updates on a deleted article with 410", async () => {
    const article = await pushArticle();
    expect((await t.admin("DELETE", `/admin/articles/${article.id}`)).status).toBe(204);
    const { response } = await pushUpdate(article.id, { bodyHtml: "<p>x</p>" });
    expect(response.status).toBe(410);
    expect(await updateCount(article.id)).toBe(0);
  });

  it("documents the update routes in the OpenAPI description", async () => {
    const doc = (await (await t.get("/admin/openapi.json")).json()) as {
      paths: Record<string, Record<string, unknown>>;
      components: { schemas: Record<string, unknown> };
    };
    expect(Object.keys(doc.paths["/admin/articles/{id}/updates"] ?? {})).toEqual(
      expect.arrayContaining(["post", "get"]),
    );
    expect(Object.keys(doc.paths["/admin/articles/{id}/updates/{updateId}"] ?? {})).toEqual(
      expect.arrayContaining(["patch", "delete"]),
    );
    expect(doc.components.schemas.LiveUpdateInput).toBeDefined();
  });

  it("revises with PATCH and deletes to a tombstone", async () => {
    const article = await pushArticle();
    const { json: created } = await pushUpdate(article.id, { bodyHtml: "<p>Ten dead</p>" });
    const path = `/admin/articles/${article.id}/updates/${created.id}`;
    clock.advance(60_000);
    const patched = await t.admin("PATCH", path, { bodyHtml: "<p>Twelve dead</p>" });
    expect(patched.status).toBe(200);
    const revised = (await patched.json()) as LiveUpdateOutput;
    expect(revised.revision).toBe(2);
    expect(revised.bodyHtml).toBe("<p>Twelve dead</p>");
    expect(Date.parse(revised.updatedAt)).toBeGreaterThan(Date.parse(created.updatedAt));

    const empty = await t.admin("PATCH", path, {});
    expect(empty.status).toBe(422);
    const unknown = await t.admin(
      "PATCH",
      `/admin/articles/${article.id}/updates/0190b6a4-0000-7000-8000-000000000000`,
      { bodyHtml: "<p>x</p>" },
    );
    expect(unknown.status).toBe(404);

    expect((await t.admin("DELETE", path)).status).toBe(204);
    expect((await t.admin("DELETE", path)).status).toBe(204);
    expect((await t.admin("PATCH", path, { bodyHtml: "<p>again</p>" })).status).toBe(410);
    const list = (await (await t.admin("GET", `/admin/articles/${article.id}/updates`)).json()) as {
      items: LiveUpdateOutput[];
    };
    expect(list.items).toEqual([]);
    const all = (await (
      await t.admin("GET", `/admin/articles/${article.id}/updates?includeDeleted=true`)
    ).json()) as { items: LiveUpdateOutput[] };
    expect(all.items.map((u) => [u.status, u.revision])).toEqual([["deleted", 3]]);
  });
});
