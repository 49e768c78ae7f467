/**
 * `tidings edit`, run for real against the real server on a free port with its own embedded
 * database: a silent fix from a file, a correction with changes, a correction alone, and the
 * mistakes it refuses.
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ArticleOutput } from "../../src/schemas/article.schema.ts";
import { type CliServer, startCliServer } from "../support/cli-server.ts";

const TOKEN = "cli-edit-admin-token-0123456789";

describe("tidings edit against a running server", () => {
  let cli: CliServer;
  beforeAll(async () => {
    cli = await startCliServer("cli-edit", TOKEN);
  });
  afterAll(() => cli?.close());

  const tidings = (args: readonly string[], input?: string) => cli.tidings(args, input);
  const api = <T>(method: string, path: string, body?: unknown) => cli.api<T>(method, path, body);

  it("revises silently from a file, corrects with a note, and corrects with a note alone", async () => {
    const article = await api<ArticleOutput>("POST", "/admin/articles", {
      headline: "Kerry and Lavrov meet in Geneva",
      bodyHtml: "<p>The talks took place in Geneva.</p>",
      feeds: ["us-russia-syria"],
      externalId: "kerry-1",
    });

    const fix = join(cli.work, "fix.json");
    await writeFile(fix, JSON.stringify({ standfirst: "Talks on Syria.", externalId: "kerry-1" }));
    const silent = await tidings(["edit", article.id, fix]);
    expect(silent.code).toBe(0);
    expect(silent.stderr).toContain("externalId never changes on an edit");
    expect(silent.stdout).toContain("revised: Kerry and Lavrov meet in Geneva (revision 2)");
    expect(silent.stdout).toContain(`history    ${cli.url}/articles/${article.id}/history`);

    const md = join(cli.work, "moscow.md");
    await writeFile(
      md,
      "# Kerry and Lavrov meet in Moscow\n\nThe talks took place in **Moscow**.\n",
    );
    const corrected = await tidings([
      "edit",
      article.id,
      md,
      "--correction",
      "An earlier version said the talks were in Geneva.",
    ]);
    expect(corrected.stderr).toBe("");
    expect(corrected.code).toBe(0);
    expect(corrected.stdout).toContain("corrected: Kerry and Lavrov meet in Moscow (revision 3)");
    expect(corrected.stdout).toContain(
      "correction An earlier version said the talks were in Geneva.",
    );

    const alone = await tidings([
      "edit",
      article.id,
      "--correction",
      "Lavrov's name was misspelt.",
      "--json",
    ]);
    expect(alone.code).toBe(0);
    const json = JSON.parse(alone.stdout) as ArticleOutput;
    expect(json.revision).toBe(4);
    expect(json.bodyHtml).toBe("<p>The talks took place in <strong>Moscow</strong>.</p>");
    expect(json.corrections.map((c) => [c.revision, c.note])).toEqual([
      [3, "An earlier version said the talks were in Geneva."],
      [4, "Lavrov's name was misspelt."],
    ]);

    const history = await fetch(`${cli.url}/articles/${article.id}/history`);
    expect(history.status).toBe(200);
    expect(await history.text()).toContain("Lavrov&#39;s name was misspelt.");
  });

  it("refuses an edit with nothing to change, and says which field the server refused", async () => {
    const article = await api<ArticleOutput>("POST", "/admin/articles", {
      headline: "Talks resume",
      bodyHtml: "<p>x</p>",
      feeds: ["world"],
    });
    const nothing = await tidings(["edit", article.id]);
    expect(nothing.code).toBe(2);
    expect(nothing.stderr).toContain("name a FILE with the changes, or a --correction, or both");
    const empty = await tidings(["edit", article.id, "--correction", "  "]);
    expect(empty.code).toBe(1);
    expect(empty.stderr).toContain("/correction");
    const after = await api<ArticleOutput>("GET", `/admin/articles/${article.id}`);
    expect(after).toMatchObject({ revision: 1, corrections: [] });
  });
});
