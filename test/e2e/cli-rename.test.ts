/**
 * `tidings feed rename`, run for real against the real server on a free port with its own
 * embedded database: the rename, the old URLs' redirects, and the names it refuses.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliServer, startCliServer } from "../support/cli-server.ts";

const TOKEN = "cli-rename-admin-token-0123456789";

describe("tidings feed rename against a running server", () => {
  let cli: CliServer;
  beforeAll(async () => {
    cli = await startCliServer("cli-rename", TOKEN);
  });
  afterAll(() => cli?.close());

  it("renames a feed: its stories and handle move, its old URLs redirect", async () => {
    await cli.api("POST", "/admin/articles", {
      headline: "Talks in Geneva",
      bodyHtml: "<p>Diplomats meet.</p>",
      feeds: ["us-russia-syria"],
    });
    const run = await cli.tidings(["feed", "rename", "us-russia-syria", "syria-talks"]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const host = new URL(cli.url).host;
    expect(run.stdout).toContain(
      "renamed feed us-russia-syria to syria-talks: its followers are told it moved",
    );
    expect(run.stdout).toContain(`fediverse  @syria-talks@${host}`);
    expect(run.stdout).toContain(`rss        ${cli.url}/feeds/syria-talks.rss`);

    const old = await fetch(`${cli.url}/feeds/us-russia-syria.rss`, { redirect: "manual" });
    expect(old.status).toBe(301);
    expect(old.headers.get("location")).toBe(`${cli.url}/feeds/syria-talks.rss`);
    const items = await cli.api<{ items: { headline: string }[] }>(
      "GET",
      "/admin/articles?feed=syria-talks",
    );
    expect(items.items.map((item) => item.headline)).toEqual(["Talks in Geneva"]);
  });

  it("refuses a taken name and a malformed one, naming the slug, and renames nothing", async () => {
    const taken = await cli.tidings(["feed", "rename", "syria-talks", "world"]);
    expect(taken.code).toBe(1);
    expect(taken.stderr).toContain("/slug");
    const malformed = await cli.tidings(["feed", "rename", "syria-talks", "Syria Talks"]);
    expect(malformed.code).toBe(1);
    expect(malformed.stderr).toContain("/slug");
    const missing = await cli.tidings(["feed", "rename", "syria-talks"]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^error: missing NEW/);
    const feed = await cli.api<{ slug: string }>("GET", "/admin/feeds/syria-talks");
    expect(feed.slug).toBe("syria-talks");
  });
});
