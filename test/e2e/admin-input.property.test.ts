import fc from "fast-check";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../support/test-app.ts";

/**
 * Whatever an editor's tool sends, the admin API answers with a problem it can act on, never
 * a 500, and a refused request writes nothing. Values are hostile on purpose: control
 * characters (PostgreSQL refuses U+0000 in text), lone surrogates, dates PostgreSQL cannot
 * store (year 0) or feeds cannot print (year 10000), wrong types, deep nesting.
 */
const hostileString = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.constantFrom("\u0000", "a\u0000b", "\uD800", "x\uDFFFy", "]]>", "\u0007bell", "  ", ""),
  fc.string({ unit: "binary", maxLength: 20 }),
);
const hostileDate = fc.oneof(
  fc.constantFrom(
    "0000-01-01T00:00:00Z",
    "-000001-01-01T00:00:00Z",
    "+275760-09-13T00:00:00Z",
    "9999-12-31T23:59:59-14:00",
    "2016-02-30T00:00:00Z",
    "2016-07-20T09:30:00",
    "2016-07-20T09:30:00Z",
  ),
  fc.date({ noInvalidDate: true }).map((date) => date.toISOString()),
  hostileString,
);
const anyValue = fc.oneof(
  hostileString,
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(hostileString, { maxLength: 3 }),
  fc.dictionary(hostileString, hostileString, { maxKeys: 3 }),
);

const FIELDS = {
  headline: fc.oneof(hostileString, anyValue),
  standfirst: fc.oneof(hostileString, anyValue),
  bodyHtml: fc.oneof(hostileString, anyValue),
  authors: fc.oneof(
    fc.array(fc.record({ name: hostileString, url: hostileString }, { requiredKeys: ["name"] })),
    anyValue,
  ),
  image: fc.oneof(fc.record({ url: hostileString, alt: hostileString }), anyValue),
  tags: fc.oneof(fc.array(hostileString, { maxLength: 4 }), anyValue),
  feeds: fc.oneof(fc.constant(["world"]), fc.array(hostileString, { maxLength: 2 }), anyValue),
  language: fc.oneof(fc.constantFrom("en", "en-GB"), hostileString),
  publishedAt: hostileDate,
  canonicalUrl: fc.oneof(fc.constant("https://news.example/a"), hostileString),
  externalId: fc.oneof(hostileString, anyValue),
  pinned: fc.oneof(fc.boolean(), anyValue),
};

const article = fc.record(FIELDS, {
  requiredKeys: [],
});

const ACCEPTABLE = [200, 201, 400, 404, 409, 410, 413, 415, 422];

describe("the admin API under hostile input (property)", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp("postgres");
  });
  afterAll(() => t?.destroy());

  const count = async () =>
    (
      await sql<{ n: number }>`select count(*)::int as n from article_revisions`.execute(
        t.database.db,
      )
    ).rows[0]?.n ?? 0;

  it("never answers 500 to a push, and a refused push writes nothing", async () => {
    await fc.assert(
      fc.asyncProperty(article, async (body) => {
        const before = await count();
        const response = await t.admin("POST", "/admin/articles", {
          headline: "A headline",
          bodyHtml: "<p>Body</p>",
          feeds: ["world"],
          ...body,
        });
        expect(ACCEPTABLE).toContain(response.status);
        if (response.status >= 400) {
          expect(response.headers.get("content-type")).toBe("application/problem+json");
          expect(await count()).toBe(before);
        }
      }),
      { numRuns: 150 },
    );
  });

  it("answers the probe's two 500s with 422 naming the field", async () => {
    for (const [field, value] of [
      ["externalId", "cms\u0000id"],
      ["publishedAt", "0000-01-01T00:00:00Z"],
    ] as const) {
      const response = await t.admin("POST", "/admin/articles", {
        headline: "A headline",
        bodyHtml: "<p>Body</p>",
        feeds: ["world"],
        [field]: value,
      });
      expect(response.status).toBe(422);
      const problem = (await response.json()) as { errors: { pointer: string }[] };
      expect(problem.errors.map((error) => error.pointer)).toEqual([`/${field}`]);
    }
  });

  it("never answers 500 to a revision or a listing cursor", async () => {
    const created = await t.admin("POST", "/admin/articles", {
      headline: "A story to revise",
      bodyHtml: "<p>Body</p>",
      feeds: ["world"],
    });
    const { id } = (await created.json()) as { id: string };
    await fc.assert(
      fc.asyncProperty(article, hostileDate, async (patch, cursor) => {
        const { externalId: _ignored, ...editable } = patch;
        const revised = await t.admin("PATCH", `/admin/articles/${id}`, editable);
        expect(ACCEPTABLE).toContain(revised.status);
        const encoded = Buffer.from(`${cursor}|${id}`).toString("base64url");
        for (const query of [cursor, encoded]) {
          const listed = await t.admin(
            "GET",
            `/admin/articles?cursor=${encodeURIComponent(query.replace(/\p{Cs}/gu, "\uFFFD"))}`,
          );
          expect(ACCEPTABLE).toContain(listed.status);
        }
      }),
      { numRuns: 100 },
    );
  });
});
