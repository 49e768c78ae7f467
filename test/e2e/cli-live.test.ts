/**
 * `tidings update` and `tidings live`, run for real against the real server on a free port with
 * its own embedded database.
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ArticleOutput, LiveUpdateOutput } from "../../src/schemas/article.schema.ts";
import { type CliServer, startCliServer } from "../support/cli-server.ts";

const TOKEN = "cli-live-admin-token-0123456789";

describe("tidings update and tidings live against a running server", () => {
  let cli: CliServer;
  beforeAll(async () => {
    cli = await startCliServer("cli-live", TOKEN);
  });
  afterAll(() => cli?.close());

  const tidings = (args: readonly string[], input?: string) => cli.tidings(args, input);
  const api = <T>(method: string, path: string, body?: unknown) => cli.api<T>(method, path, body);

  it("pushes updates from Markdown, JSON and standard input, once per externalId, and sets live", async () => {
    const article = await api<ArticleOutput>("POST", "/admin/articles", {
      headline: "US and Russia plan 'concrete steps' for Syria",
      bodyHtml: "<p>Talks.</p>",
      feeds: ["us-russia-syria"],
    });
    const md = join(cli.work, "kerry.md");
    await writeFile(md, "# Kerry lands in Moscow\n\nThe **talks** begin tomorrow.\n");
    const first = await tidings(["update", article.id, md, "--external-id", "u-1"]);
    expect(first.stderr).toBe("");
    expect(first.code).toBe(0);
    expect(first.stdout).toContain("update pushed: Kerry lands in Moscow");
    expect(first.stdout).toContain(`${cli.url}/articles/${article.id}#update-`);
    const again = await tidings(["update", article.id, md, "--external-id", "u-1"]);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain("already there (externalId u-1)");

    const json = join(cli.work, "u2.json");
    await writeFile(json, JSON.stringify({ bodyHtml: "<p>Second update</p>" }));
    expect((await tidings(["update", article.id, json])).code).toBe(0);
    const piped = await tidings(["update", article.id, "-", "--json"], "Piped *update*\n");
    expect(piped.code).toBe(0);
    expect((JSON.parse(piped.stdout) as LiveUpdateOutput).bodyHtml).toBe(
      "<p>Piped <em>update</em></p>",
    );

    const list = await api<{ items: LiveUpdateOutput[] }>(
      "GET",
      `/admin/articles/${article.id}/updates`,
    );
    expect(list.items).toHaveLength(3);
    expect(list.items.find((u) => u.externalId === "u-1")?.bodyHtml).toBe(
      "<p>The <strong>talks</strong> begin tomorrow.</p>",
    );
    expect((await api<ArticleOutput>("GET", `/admin/articles/${article.id}`)).live).toBe(true);

    const off = await tidings(["live", article.id, "off"]);
    expect(off.code).toBe(0);
    expect(off.stdout).toContain("no longer live");
    expect((await api<ArticleOutput>("GET", `/admin/articles/${article.id}`)).live).toBe(false);
    const on = await tidings(["live", article.id, "on"]);
    expect(on.stdout).toContain(`article ${article.id} is live`);

    const bad = await tidings(["live", article.id, "maybe"]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('expected "on" or "off"');
    const empty = await tidings(["update", article.id, "-"], "   \n");
    expect(empty.code).not.toBe(0);
    expect(empty.stderr).toContain("bodyHtml");
  });
});
