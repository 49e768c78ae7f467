import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ArticleOutput } from "../../src/schemas/article.schema.ts";
import { DATABASE_KINDS } from "../support/databases.ts";
import { createTestApp, fixedClock, type TestApp } from "../support/test-app.ts";

type Problem = { type: string; status: number; errors: { pointer: string; detail: string }[] };

const NOTE = "An earlier version of this story said the talks were in Geneva; they were in Moscow.";

/**
 * Corrections through the admin API (issue 12.5): a PATCH with `correction` records a public
 * note on its revision; a plain PATCH stays a silent fix; a bad note writes nothing.
 */
describe.each(DATABASE_KINDS)("corrections through the admin API on %s", (kind) => {
  let t: TestApp;
  const clock = fixedClock(new Date("2016-07-20T09:00:00Z"));
  let article: ArticleOutput;

  beforeAll(async () => {
    t = await createTestApp(kind, { clock });
    const pushed = await t.admin("POST", "/admin/articles", {
      headline: "Kerry and Lavrov meet in Geneva",
      standfirst: "Talks on Syria.",
      bodyHtml: "<p>The talks took place in Geneva.</p>",
      feeds: ["us-russia-syria"],
      publishedAt: "2016-07-20T08:00:00Z",
    });
    expect(pushed.status).toBe(201);
    article = (await pushed.json()) as ArticleOutput;
    expect(article.corrections).toEqual([]);
  });
  afterAll(() => t?.destroy());

  const storedRows = async () => ({
    revisions: await t.database.db
      .selectFrom("articleRevisions")
      .select("revision")
      .where("articleId", "=", article.id)
      .execute(),
    corrections: await t.database.db
      .selectFrom("articleCorrections")
      .selectAll()
      .where("articleId", "=", article.id)
      .execute(),
    outbox: await t.database.db
      .selectFrom("federationOutbox")
      .select("id")
      .where("articleId", "=", article.id)
      .execute(),
  });

  it("refuses an empty, blank, too long or non-string correction, naming it, and writes nothing", async () => {
    const before = await storedRows();
    for (const correction of ["", "   ", "x".repeat(1001), 42, null, ["a"], { note: "a" }]) {
      const response = await t.admin("PATCH", `/admin/articles/${article.id}`, {
        headline: "Kerry and Lavrov meet in Moscow",
        correction,
      });
      expect(response.status, JSON.stringify(correction)).toBe(422);
      expect(response.headers.get("content-type")).toContain("application/problem+json");
      const problem = (await response.json()) as Problem;
      expect(problem.errors.map((e) => e.pointer)).toEqual(["/correction"]);
    }
    expect(await storedRows()).toEqual(before);
    const read = (await (
      await t.admin("GET", `/admin/articles/${article.id}`)
    ).json()) as ArticleOutput;
    expect(read).toMatchObject({
      revision: 1,
      headline: "Kerry and Lavrov meet in Geneva",
      corrections: [],
    });
  });

  it("keeps a plain PATCH a silent fix: a revision, no correction", async () => {
    clock.set(new Date("2016-07-20T09:10:00Z"));
    const response = await t.admin("PATCH", `/admin/articles/${article.id}`, {
      standfirst: "Talks on Syria's war.",
    });
    expect(response.status).toBe(200);
    const fixed = (await response.json()) as ArticleOutput;
    expect(fixed).toMatchObject({ revision: 2, corrections: [] });
    expect((await storedRows()).corrections).toEqual([]);
  });

  it("records a correction with its own id and time on its revision, trimmed, and answers it", async () => {
    clock.set(new Date("2016-07-20T09:30:00Z"));
    const response = await t.admin("PATCH", `/admin/articles/${article.id}`, {
      headline: "Kerry and Lavrov meet in Moscow",
      bodyHtml: "<p>The talks took place in Moscow.</p>",
      correction: `  ${NOTE}\n`,
    });
    expect(response.status).toBe(200);
    const corrected = (await response.json()) as ArticleOutput;
    expect(corrected.revision).toBe(3);
    expect(corrected.updatedAt).toBe("2016-07-20T09:30:00.000Z");
    expect(corrected.corrections).toEqual([
      {
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        revision: 3,
        note: NOTE,
        correctedAt: "2016-07-20T09:30:00.000Z",
      },
    ]);
    const rows = await storedRows();
    expect(rows.corrections).toEqual([
      expect.objectContaining({ id: corrected.corrections[0]?.id, revision: 3, note: NOTE }),
    ]);
    // The Update of revision 3 commits with it, as for any revision.
    expect(rows.outbox).toHaveLength(3);

    // A correction alone is a revision too; corrections accumulate, oldest first.
    clock.set(new Date("2016-07-20T10:00:00Z"));
    const again = await t.admin("PATCH", `/admin/articles/${article.id}`, {
      correction: "The headline misspelt Lavrov's name.",
    });
    expect(again.status).toBe(200);
    const read = (await (
      await t.admin("GET", `/admin/articles/${article.id}`)
    ).json()) as ArticleOutput;
    expect(read.revision).toBe(4);
    expect(read.corrections.map((c) => [c.revision, c.note])).toEqual([
      [3, NOTE],
      [4, "The headline misspelt Lavrov's name."],
    ]);
    const listed = (await (
      await t.admin("GET", "/admin/articles?feed=us-russia-syria")
    ).json()) as {
      items: ArticleOutput[];
    };
    expect(listed.items[0]?.corrections).toEqual(read.corrections);
  });

  it("refuses a correction on a deleted article (410), writing nothing", async () => {
    const pushed = (await (
      await t.admin("POST", "/admin/articles", {
        headline: "Withdrawn",
        bodyHtml: "<p>x</p>",
        feeds: ["world"],
      })
    ).json()) as ArticleOutput;
    expect((await t.admin("DELETE", `/admin/articles/${pushed.id}`)).status).toBe(204);
    const response = await t.admin("PATCH", `/admin/articles/${pushed.id}`, { correction: "No." });
    expect(response.status).toBe(410);
    const corrections = await t.database.db
      .selectFrom("articleCorrections")
      .select("id")
      .where("articleId", "=", pushed.id)
      .execute();
    expect(corrections).toEqual([]);
  });

  it("describes the field in the OpenAPI document", async () => {
    const doc = (await (await t.get("/admin/openapi.json")).json()) as {
      components: { schemas: Record<string, { properties: Record<string, unknown> }> };
    };
    expect(doc.components.schemas.ArticlePatch?.properties.correction).toMatchObject({
      type: "string",
      description: expect.stringContaining("silent fix"),
    });
    expect(doc.components.schemas.Article?.properties).toHaveProperty("corrections");
  });
});
