import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DATABASE_KINDS } from "../support/databases.ts";
import { ADMIN_TOKEN, createTestApp, type TestApp } from "../support/test-app.ts";

const HEADER = "#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate";

/** Mastodon's export, as its admin screen writes it (quoted comments with commas and quotes). */
const EXPORT = [
  HEADER,
  "spam.example,suspend,true,true,Spam farm,false",
  'noisy.example,silence,false,false,"Loud, ""rude"" replies",false',
  "fine.example,noop,false,false,,false",
  "Sub.Spam2.EXAMPLE.,suspend,false,false,,true",
  "",
].join("\r\n");

describe.each(DATABASE_KINDS)("importing Mastodon's domain-block CSV (%s)", (kind) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(kind);
  });
  afterAll(async () => {
    await t?.destroy();
  });

  const upload = (csv: string, type = "text/csv") =>
    t.app.request("/admin/blocks/import", {
      method: "POST",
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": type },
      body: csv,
    });
  const blocks = async () =>
    (
      await t.database.db
        .selectFrom("blocks")
        .select(["target", "severity", "rejectReports", "comment"])
        .orderBy("target")
        .execute()
    ).map((b) => ({ ...b }));

  it("refuses a malformed file with the line at fault, and imports nothing of it", async () => {
    const cases: ReadonlyArray<[string, number, RegExp]> = [
      ["#name,#level\nspam.example,suspend\n", 1, /no #domain column/],
      [
        `${HEADER}\nok.example,suspend,false,false,,false\nbad domain!,suspend,false,false,,false\n`,
        3,
        /not a domain name/,
      ],
      [
        `${HEADER}\nok.example,suspend,false,false,,false\nx.example,obliterate,false,false,,false\n`,
        3,
        /severity "obliterate"/,
      ],
      [`${HEADER}\nok.example,suspend,false\n`, 2, /has 3 fields; the header has 6/],
      [
        `${HEADER}\nok.example,suspend,maybe,false,,false\n`,
        2,
        /#reject_media must be true or false/,
      ],
      [`${HEADER}\nok.example,suspend,false,false,"never closed,false\n`, 2, /never closed/],
      [
        `${HEADER}\nok.example,suspend,false,false,,false\nOK.example,silence,false,false,,false\n`,
        3,
        /listed twice \(first on line 2\)/,
      ],
    ];
    for (const [csv, line, detail] of cases) {
      const response = await upload(csv);
      expect(response.status, csv).toBe(422);
      expect(response.headers.get("content-type")).toBe("application/problem+json");
      const body = (await response.json()) as {
        line: number;
        detail: string;
        errors: { pointer: string; detail: string }[];
      };
      expect(body.line).toBe(line);
      expect(body.errors[0]?.pointer).toBe(`/line/${line}`);
      expect(body.errors[0]?.detail).toMatch(detail);
      expect(body.detail).toMatch(/nothing was imported/);
    }
    expect(await blocks()).toEqual([]);
    expect((await upload(EXPORT, "application/json")).status).toBe(415);
  });

  it("imports a good file in one go: suspend blocks, silence hides, noop skipped", async () => {
    const response = await upload(EXPORT);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      created: 3,
      updated: 0,
      skipped: 1,
      effects: { followersRemoved: 0, interactionsRemoved: 0, repliesRemoved: 0 },
    });
    expect(await blocks()).toEqual([
      {
        target: "noisy.example",
        severity: "silence",
        rejectReports: false,
        comment: 'Loud, "rude" replies',
      },
      { target: "spam.example", severity: "suspend", rejectReports: true, comment: "Spam farm" },
      { target: "sub.spam2.example", severity: "suspend", rejectReports: false, comment: null },
    ]);
    // Importing it again updates, never duplicates.
    const again = (await (await upload(EXPORT)).json()) as { created: number; updated: number };
    expect(again).toMatchObject({ created: 0, updated: 3 });
    expect(await blocks()).toHaveLength(3);
  });
});
