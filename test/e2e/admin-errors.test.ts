import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DATABASE_KINDS } from "../support/databases.ts";
import { ADMIN_TOKEN, createTestApp, type TestApp } from "../support/test-app.ts";

const validArticle = {
  headline: "US and Russia plan 'concrete steps' for Syria",
  bodyHtml: "<p>US Secretary of State John Kerry says…</p>",
  feeds: ["world"],
};

/** Every table a write could touch, counted, so a test can prove a failed request wrote nothing. */
async function rowCounts(t: TestApp) {
  const { rows } = await sql<{ articles: number; links: number; revisions: number; feeds: number }>`
    select (select count(*)::int from articles) as articles,
           (select count(*)::int from article_feeds) as links,
           (select count(*)::int from article_revisions) as revisions,
           (select count(*)::int from feeds) as feeds`.execute(t.database.db);
  return rows[0];
}

async function expectProblem(response: Response, status: number, type: string) {
  expect(response.status).toBe(status);
  expect(response.headers.get("content-type")).toBe("application/problem+json");
  const body = (await response.json()) as {
    type: string;
    status: number;
    title: string;
    detail?: string;
    errors?: { pointer: string; detail: string }[];
  };
  expect(body.type).toBe(type);
  expect(body.status).toBe(status);
  expect(body.title).toBeTruthy();
  return body;
}

describe.each(DATABASE_KINDS)("bad admin input on %s", (kind) => {
  let t: TestApp;
  let before: Awaited<ReturnType<typeof rowCounts>>;

  beforeAll(async () => {
    t = await createTestApp(kind, { config: { maxBodyBytes: 4096 } });
    before = await rowCounts(t);
  });
  afterAll(() => t.destroy());

  const post = (body: BodyInit, headers: Record<string, string>) =>
    t.app.request("/admin/articles", { method: "POST", body, headers });
  const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };
  const json = { ...auth, "content-type": "application/json" };

  it("answers malformed JSON with 400 and writes nothing", async () => {
    const body = await expectProblem(
      await post('{"headline": "x",', json),
      400,
      "/problems/malformed-json",
    );
    expect(body.detail).toMatch(/JSON/);
    expect(await rowCounts(t)).toEqual(before);
  });

  it("answers invalid UTF-8 with 400 and writes nothing", async () => {
    const bytes = new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]);
    await expectProblem(await post(bytes, json), 400, "/problems/malformed-json");
    expect(await rowCounts(t)).toEqual(before);
  });

  it("answers validation failures with 422 naming every field at fault", async () => {
    const body = await expectProblem(
      await post(
        JSON.stringify({
          headline: "",
          bodyHtml: 42,
          feeds: [],
          publishedAt: "yesterday",
          image: { url: "javascript:alert(1)" },
          colour: "red",
        }),
        json,
      ),
      422,
      "/problems/validation-failed",
    );
    const pointers = body.errors?.map((e) => e.pointer).sort();
    expect(pointers).toEqual(
      [
        "/headline",
        "/bodyHtml",
        "/feeds",
        "/publishedAt",
        "/image/url",
        "/image/alt",
        "/colour",
      ].sort(),
    );
    expect(await rowCounts(t)).toEqual(before);
  });

  it("answers an unknown feed with 422 at /feeds and writes nothing", async () => {
    const body = await expectProblem(
      await post(JSON.stringify({ ...validArticle, feeds: ["world", "no-such-feed"] }), json),
      422,
      "/problems/validation-failed",
    );
    expect(body.errors).toEqual([{ pointer: "/feeds", detail: 'no feed named "no-such-feed"' }]);
    expect(await rowCounts(t)).toEqual(before);
  });

  it("answers a missing token with 401 and a WWW-Authenticate challenge", async () => {
    const response = await post(JSON.stringify(validArticle), {
      "content-type": "application/json",
    });
    expect(response.headers.get("www-authenticate")).toMatch(/^Bearer/);
    await expectProblem(response, 401, "/problems/unauthorized");
    expect(await rowCounts(t)).toEqual(before);
  });

  it("answers a wrong token with 401 and writes nothing", async () => {
    await expectProblem(
      await post(JSON.stringify(validArticle), {
        authorization: `Bearer ${ADMIN_TOKEN}x`,
        "content-type": "application/json",
      }),
      401,
      "/problems/unauthorized",
    );
    expect(await rowCounts(t)).toEqual(before);
  });

  it("answers an unknown article id with 404 on GET, PATCH and DELETE", async () => {
    for (const id of ["01a21853-344d-7e00-9702-8130acfa9578", "not-a-uuid"]) {
      await expectProblem(
        await t.app.request(`/admin/articles/${id}`, { headers: auth }),
        404,
        "/problems/not-found",
      );
      await expectProblem(
        await t.app.request(`/admin/articles/${id}`, {
          method: "PATCH",
          headers: json,
          body: JSON.stringify({ headline: "New" }),
        }),
        404,
        "/problems/not-found",
      );
      await expectProblem(
        await t.app.request(`/admin/articles/${id}`, { method: "DELETE", headers: auth }),
        404,
        "/problems/not-found",
      );
    }
    expect(await rowCounts(t)).toEqual(before);
  });

  it("answers a body over the limit with 413, declared or streamed", async () => {
    const huge = JSON.stringify({ ...validArticle, bodyHtml: `<p>${"x".repeat(5000)}</p>` });
    await expectProblem(await post(huge, json), 413, "/problems/payload-too-large");
    // Without Content-Length the limit is enforced while reading the stream.
    const stream = new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(huge));
        controller.close();
      },
    });
    const response = await t.app.request("/admin/articles", {
      method: "POST",
      headers: json,
      body: stream,
      // @ts-expect-error Node's fetch needs duplex for a streamed body; the DOM types lack it.
      duplex: "half",
    });
    await expectProblem(response, 413, "/problems/payload-too-large");
    expect(await rowCounts(t)).toEqual(before);
  });

  it("answers a non-JSON content type with 415 and writes nothing", async () => {
    await expectProblem(
      await post(JSON.stringify(validArticle), { ...auth, "content-type": "text/plain" }),
      415,
      "/problems/unsupported-media-type",
    );
    await expectProblem(
      await post("headline=x", { ...auth, "content-type": "application/x-www-form-urlencoded" }),
      415,
      "/problems/unsupported-media-type",
    );
    expect(await rowCounts(t)).toEqual(before);
  });

  it("answers bad feed input with 422, a taken slug with 409, and writes nothing", async () => {
    const bad = await t.app.request("/admin/feeds", {
      method: "POST",
      headers: json,
      body: JSON.stringify({ slug: "Bad Slug!", title: "" }),
    });
    const body = await expectProblem(bad, 422, "/problems/validation-failed");
    expect(body.errors?.map((e) => e.pointer).sort()).toEqual(["/slug", "/title"]);
    const taken = await t.app.request("/admin/feeds", {
      method: "POST",
      headers: json,
      body: JSON.stringify({ slug: "world", title: "World again" }),
    });
    await expectProblem(taken, 409, "/problems/conflict");
    expect(await rowCounts(t)).toEqual(before);
  });

  it("answers bad query parameters with 422 pointing into the query", async () => {
    const body = await expectProblem(
      await t.app.request("/admin/articles?limit=0&cursor=bogus", { headers: auth }),
      422,
      "/problems/validation-failed",
    );
    expect(body.errors?.map((e) => e.pointer)).toEqual(["/query/limit"]);
    const cursor = await expectProblem(
      await t.app.request("/admin/articles?cursor=bogus", { headers: auth }),
      422,
      "/problems/validation-failed",
    );
    expect(cursor.errors?.map((e) => e.pointer)).toEqual(["/query/cursor"]);
  });

  it("answers unknown paths with a 404 problem", async () => {
    await expectProblem(await t.app.request("/nowhere"), 404, "/problems/not-found");
    await expectProblem(await t.app.request("/feeds/nowhere.rss"), 404, "/problems/not-found");
    await expectProblem(await t.app.request("/feeds/world.xml"), 404, "/problems/not-found");
  });
});

describe("admin API without ADMIN_TOKEN", () => {
  it("refuses everyone, even with a token", async () => {
    const t = await createTestApp("postgres", { config: { adminToken: undefined } });
    try {
      const response = await t.admin("GET", "/admin/feeds");
      const body = await expectProblem(response, 401, "/problems/unauthorized");
      expect(body.detail).toMatch(/ADMIN_TOKEN/);
    } finally {
      await t.destroy();
    }
  });
});
