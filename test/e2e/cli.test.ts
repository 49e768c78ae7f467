/**
 * The `tidings` command line, run for real (`node --import tsx src/cli/main.ts …`) against the
 * real server (`src/entries/node/server.ts`) on a free port with its own embedded database.
 */
import { readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ArticleOutput } from "../../src/schemas/article.schema.ts";
import { type CliRun, runCli } from "../support/cli-process.ts";
import { FIXTURE_STORY_PATH } from "../support/fixture-push.ts";
import { freePort } from "../support/free-port.ts";
import { type ServerProcess, startProcess, waitForHealth } from "../support/node-process.ts";

const FIXTURES = join(import.meta.dirname, "../fixtures/cli");
const TOKEN = "cli-test-admin-token-0123456789";

type Run = CliRun;

describe("the tidings command line against a running server", () => {
  let server: ServerProcess;
  let dataDir: string;
  let work: string;
  let url: string;
  let host: string;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "tidings-cli-data-"));
    work = await mkdtemp(join(tmpdir(), "tidings-cli-files-"));
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    host = `127.0.0.1:${port}`;
    server = startProcess({
      PORT: String(port),
      PUBLIC_URL: url,
      DATA_DIR: dataDir,
      ADMIN_TOKEN: TOKEN,
      LOG_LEVEL: "warn",
    });
    await waitForHealth(url, server);
  });

  afterAll(async () => {
    if (server && server.child.exitCode === null) {
      server.child.kill("SIGTERM");
      await server.exited;
    }
    await rm(dataDir, { recursive: true, force: true });
    await rm(work, { recursive: true, force: true });
  });

  /** Runs the CLI as editors do, with TIDINGS_URL and ADMIN_TOKEN in its environment. */
  function tidings(args: readonly string[], env: Record<string, string> = {}): Promise<Run> {
    return runCli(args, { TIDINGS_URL: url, ADMIN_TOKEN: TOKEN, ...env });
  }

  async function api<T>(path: string): Promise<T> {
    const response = await fetch(`${url}${path}`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(response.status, `GET ${path}`).toBe(200);
    return (await response.json()) as T;
  }

  const articlesIn = async (feed: string) =>
    (
      await api<{ items: ArticleOutput[]; nextCursor: string | null }>(
        `/admin/articles?feed=${feed}&limit=200`,
      )
    ).items;

  it("pushes the wire story with --image-url: every field stored, once however often pushed", async () => {
    const imageUrl = "https://news.example/media/assad-interview.jpg";
    const first = await tidings([
      "push",
      FIXTURE_STORY_PATH,
      "--feed",
      "us-russia-syria",
      "--feed",
      "world",
      "--image-url",
      imageUrl,
    ]);
    expect(first.stderr).toBe("");
    expect(first.code).toBe(0);
    const id = /^ {2}id +([0-9a-f-]{36})$/m.exec(first.stdout)?.[1] ?? "";
    expect(first.stdout).toContain(`article    ${url}/articles/${id}`);
    for (const slug of ["us-russia-syria", "world"]) {
      expect(first.stdout).toContain(`fediverse  @${slug}@${host}`);
      for (const format of ["rss", "atom", "json"]) {
        expect(first.stdout).toContain(`${url}/feeds/${slug}.${format}`);
      }
    }

    const stored = await api<ArticleOutput>(`/admin/articles/${id}`);
    expect(stored.headline).toBe("US and Russia plan 'concrete steps' for Syria");
    expect(stored.publishedAt).toBe("2016-07-20T00:00:00.000Z");
    expect(stored.externalId).toBe("us-russia-syria-2016-07-20");
    expect(stored.feeds).toEqual(["us-russia-syria", "world"]);
    expect(stored.image?.url).toBe(imageUrl);
    expect(stored.image?.credit).toBe("REUTERS/SANA/Handout via Reuters");
    expect(stored.image?.caption).toMatch(
      /^Syria's President Bashar al-Assad answers questions during an interview .* against the militant group\.$/,
    );
    expect(stored.image?.alt).toMatch(/^Syria's President Bashar al-Assad answers questions/);
    // The body: every paragraph after the caption block, in order, as one <p> each.
    const expected = readFileSync(FIXTURE_STORY_PATH, "utf8")
      .split(/\n\s*\n/)
      .slice(2)
      .map((block) => block.trim().replace(/\s+/g, " "));
    const paragraphs = [...stored.bodyHtml.matchAll(/<p>([\s\S]*?)<\/p>/g)].map((m) =>
      decode(m[1] ?? ""),
    );
    expect(paragraphs).toHaveLength(17);
    expect(paragraphs).toEqual(expected);
    expect(paragraphs[0]).toMatch(/^US Secretary of State John Kerry says/);
    expect(paragraphs[16]).toMatch(/International Olympic Committee," it said\.$/);

    // Again, without an image URL: the photo is reported dropped, the stored story answers.
    const again = await tidings(["push", FIXTURE_STORY_PATH, "--feed", "world"]);
    expect(again.code).toBe(0);
    expect(again.stderr).toMatch(/warning: .*photo.*dropped.*--image-url/);
    expect(again.stdout).toMatch(/^already there \(externalId us-russia-syria-2016-07-20\)/);
    expect(again.stdout).toContain(id);
    const copies = (await articlesIn("world")).filter(
      (a) => a.externalId === "us-russia-syria-2016-07-20",
    );
    expect(copies).toHaveLength(1);
  });

  it("pushes Markdown with front matter, rendering the body to HTML", async () => {
    const file = join(work, "geneva-talks.md");
    await writeFile(file, GENEVA_MARKDOWN);
    const run = await tidings(["push", file, "--json"]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const printed = JSON.parse(run.stdout) as ArticleOutput;
    const stored = await api<ArticleOutput>(`/admin/articles/${printed.id}`);
    expect(stored).toEqual(printed);
    expect(stored.headline).toBe("Syria ceasefire talks resume in Geneva");
    expect(stored.standfirst).toBe("Negotiators return to the table after a two-week pause.");
    expect(stored.authors).toEqual([
      { name: "Jane Doe" },
      { name: "John Roe", url: "https://news.example/staff/john-roe" },
    ]);
    expect(stored.image).toEqual({
      url: "https://news.example/media/geneva.jpg",
      alt: "Delegates outside the Palais des Nations",
      caption: "Delegates arrive for the talks on Thursday.",
      credit: "Jane Doe/Tidings",
    });
    expect(stored.tags).toEqual(["Syria", "Diplomacy"]);
    expect(stored.feeds).toEqual(["us-russia-syria", "world"]);
    expect(stored.language).toBe("en-GB");
    expect(stored.publishedAt).toBe("2016-07-21T08:30:00.000Z");
    expect(stored.canonicalUrl).toBe("https://news.example/2016/07/21/geneva-talks");
    expect(stored.externalId).toBe("cms-geneva-4711");
    expect(stored.pinned).toBe(true);
    expect(stored.bodyHtml).toContain("<p>Talks <strong>resumed</strong> on Thursday");
    expect(stored.bodyHtml).toContain('<a href="https://news.example/aid">besieged towns</a>');
    expect(stored.bodyHtml).toMatch(
      /<ul>\s*<li>a nationwide ceasefire<\/li>\s*<li>aid to .*<\/li>\s*<li>a political transition<\/li>\s*<\/ul>/,
    );
    expect(stored.bodyHtml).toMatch(/<blockquote>\s*<p>"We are not there yet," one delegate/);
  });

  it("pushes article JSON, --feed replacing the file's feeds", async () => {
    const run = await tidings(["push", join(FIXTURES, "aleppo-aid.json"), "--feed", "world"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^published: Aid convoy reaches eastern Aleppo$/m);
    expect(run.stdout).toContain(`fediverse  @world@${host}`);
    expect(run.stdout).not.toContain("us-russia-syria");
    const [stored] = (await articlesIn("world")).filter(
      (a) => a.externalId === "cms-aleppo-aid-4712",
    );
    expect(stored).toMatchObject({
      headline: "Aid convoy reaches eastern Aleppo",
      standfirst: "The first deliveries in three months arrived overnight.",
      bodyHtml: "<p>Twenty trucks crossed the line before dawn.</p><p>More are expected.</p>",
      authors: [{ name: "Desk Editor", fediverseHandle: "@desk@social.example" }],
      tags: ["Syria", "Aid"],
      feeds: ["world"],
      language: "en",
      publishedAt: "2016-07-22T04:00:00.000Z",
      canonicalUrl: "https://news.example/2016/07/22/aleppo-aid",
      image: null,
    });
  });

  it("imports a 200-item RSS feed once: the second run skips all 200", async () => {
    const created = await tidings([
      "feed",
      "create",
      "archive",
      "--title",
      "Archive",
      "--description",
      "Stories from the old site",
      "--language",
      "en-GB",
    ]);
    expect(created.code).toBe(0);
    expect(created.stdout).toContain("created section feed archive");
    expect(created.stdout).toContain(`fediverse  @archive@${host}`);

    const file = join(work, "archive.rss");
    await writeFile(file, rssFeed(200));
    const first = await tidings(["import", file, "--feed", "archive"]);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain("200 created, 0 already present (skipped), 0 failed");
    // stderr is a pipe here, so progress comes as plain lines, not a redrawn bar.
    expect(first.stderr).toMatch(/^importing 20\/200 /m);
    expect(first.stderr).toMatch(/^importing 200\/200 created 200 · skipped 0 · failed 0$/m);

    const second = await tidings(["import", file, "--feed", "archive", "--json"]);
    expect(second.code).toBe(0);
    const summary = JSON.parse(second.stdout);
    expect(summary).toMatchObject({
      format: "rss",
      total: 200,
      created: 0,
      skipped: 200,
      failed: 0,
    });

    const list = await api<{ items: ArticleOutput[]; nextCursor: string | null }>(
      "/admin/articles?feed=archive&limit=200",
    );
    expect(list.items).toHaveLength(200);
    expect(list.nextCursor).toBeNull();
    expect(new Set(list.items.map((a) => a.externalId)).size).toBe(200);

    const item = list.items.find((a) => a.externalId === "import:https://old.example/stories/10");
    expect(item).toMatchObject({
      headline: "Archive story 10: rates & markets",
      standfirst: "Summary of story 10 & what it means.",
      bodyHtml: "<p>Full text of story 10.</p>",
      authors: [{ name: "Reporter 10" }],
      tags: ["Archive", "Topic 1"],
      feeds: ["archive"],
      language: "en-gb",
      canonicalUrl: "https://old.example/stories/10",
      publishedAt: new Date(Date.UTC(2015, 0, 1, 10)).toISOString(),
      image: { url: "https://old.example/media/10.jpg", alt: "Archive story 10: rates & markets" },
    });
  });

  it("imports an Atom feed, reporting items that cannot be imported", async () => {
    const file = join(work, "old-site.atom");
    await writeFile(file, atomFeed());
    const run = await tidings(["import", file, "--feed", "world"]);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain("3 created, 0 already present (skipped), 2 failed");
    expect(run.stdout).toMatch(/failed: item 4 "Untitled and unidentified"\n\s+has neither a guid/);
    expect(run.stdout).toMatch(
      /failed: item 5 .*\(guid tag:old\.example,2016:5\)\n\s+\/headline: /,
    );

    const stored = (await articlesIn("world")).filter((a) =>
      a.externalId?.startsWith("import:tag:"),
    );
    expect(stored).toHaveLength(3);
    expect(stored.find((a) => a.externalId === "import:tag:old.example,2016:1")).toMatchObject({
      headline: "Rates & markets",
      standfirst: "Markets rose.",
      bodyHtml: "<p>Full &amp; long story.</p>",
      authors: [{ name: "Business desk" }],
      tags: ["Economy"],
      canonicalUrl: "https://old.example/1",
      publishedAt: "2016-07-01T09:00:00.000Z",
      image: { url: "https://old.example/1.jpg", alt: "Rates & markets" },
    });
    expect(stored.find((a) => a.externalId === "import:tag:old.example,2016:2")).toMatchObject({
      headline: "Plain text",
      bodyHtml: "<p>Line one.</p>\n<p>Line two &lt;3</p>",
      authors: [{ name: "Ann", url: "https://old.example/ann" }],
      image: { url: "https://old.example/2.png", alt: "A chart of rates" },
    });
  });

  it("lists feeds and articles, closes a feed, deletes an article", async () => {
    const [feeds, articles, createStory] = await Promise.all([
      tidings(["feeds"]),
      tidings(["articles", "--feed", "us-russia-syria", "--limit", "2", "--json"]),
      tidings(["feed", "create", "geneva-2016", "--title", "Geneva talks", "--kind", "story"]),
    ]);
    expect(feeds.code).toBe(0);
    expect(feeds.stdout).toMatch(/^SLUG +KIND +STATUS +FEDIVERSE +TITLE$/m);
    expect(feeds.stdout).toMatch(/^archive +section +open +@archive@127\.0\.0\.1:\d+ +Archive$/m);
    const page = JSON.parse(articles.stdout) as { items: ArticleOutput[] };
    expect(page.items.map((a) => a.headline)).toEqual([
      "Syria ceasefire talks resume in Geneva",
      "US and Russia plan 'concrete steps' for Syria",
    ]);
    expect(createStory.code).toBe(0);
    expect(createStory.stdout).toContain("created story feed geneva-2016");

    const closed = await tidings(["feed", "close", "geneva-2016"]);
    expect(closed.code).toBe(0);
    expect(closed.stdout).toMatch(
      /^closed feed geneva-2016: the story ended on \d{4}-\d\d-\d\dT[\d:.]+Z\n$/,
    );
    const id = page.items[1]?.id ?? "";
    // A closed story still takes a follow-up (it stays closed).
    const [followUp, deleted] = await Promise.all([
      tidings([
        "push",
        join(FIXTURES, "aleppo-aid.json"),
        "--feed",
        "geneva-2016",
        "--external-id",
        "x-1",
      ]),
      tidings(["delete", id]),
    ]);
    expect(followUp.stderr).toBe("");
    expect(followUp.code).toBe(0);
    expect(deleted.code).toBe(0);
    expect(deleted.stdout).toBe(`deleted article ${id}\n`);
    expect((await api<ArticleOutput>(`/admin/articles/${id}`)).status).toBe("deleted");
  });

  it("lists a feed's followers (none yet on a fresh server)", async () => {
    const [human, json] = await Promise.all([
      tidings(["followers", "world"]),
      tidings(["followers", "world", "--json"]),
    ]);
    expect(human.code).toBe(0);
    expect(human.stdout).toBe(`@world@${host} has 0 followers\n`);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual({ items: [], total: 0, nextCursor: null });
  });

  it("lists a feed's WebSub subscribers (none yet on a fresh server)", async () => {
    const [human, json] = await Promise.all([
      tidings(["subscribers", "world"]),
      tidings(["subscribers", "world", "--json"]),
    ]);
    expect(human.code).toBe(0);
    expect(human.stdout).toBe("world has 0 WebSub subscribers\n");
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual({ items: [] });
  });

  it("fails every error path with a non-zero exit and a readable message", async () => {
    const closedPort = await freePort();
    const invalid = join(work, "invalid.json");
    await writeFile(
      invalid,
      JSON.stringify({ headline: "  ", bodyHtml: "<p>x</p>", feeds: ["world"], colour: "red" }),
    );
    const [
      unreachable,
      badToken,
      noToken,
      validation,
      unknownFeedPush,
      unknownFeedImport,
      unknownFeedFollowers,
      missingFile,
      unknownCommand,
      unknownFlag,
      missingArgument,
      help,
      pushHelp,
    ] = await Promise.all([
      tidings(["feeds"], { TIDINGS_URL: `http://127.0.0.1:${closedPort}` }),
      tidings(["articles"], { ADMIN_TOKEN: "not-the-right-token-at-all" }),
      tidings(["feeds"], { ADMIN_TOKEN: "" }),
      tidings(["push", invalid]),
      tidings([
        "push",
        join(FIXTURES, "aleppo-aid.json"),
        "--feed",
        "nope",
        "--external-id",
        "x-2",
      ]),
      tidings(["import", join(work, "archive.rss"), "--feed", "nope"]),
      tidings(["followers", "nope"]),
      tidings(["push", join(work, "no-such-story.txt"), "--feed", "world"]),
      tidings(["frobnicate"]),
      tidings(["feeds", "--frob"]),
      tidings(["push", "--feed", "world"]),
      tidings(["--help"]),
      tidings(["push", "--help"]),
    ]);

    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toBe(
      `error: cannot reach http://127.0.0.1:${closedPort}: connection refused — is the server running?\n`,
    );
    expect(badToken.code).toBe(1);
    expect(badToken.stderr).toMatch(/^error: the server refused the token: set ADMIN_TOKEN/);
    expect(noToken.code).toBe(1);
    expect(noToken.stderr).toMatch(/^error: no admin token: set ADMIN_TOKEN/);
    expect(validation.code).toBe(1);
    expect(validation.stderr).toBe(
      "error: Validation failed\n  /headline: must not be empty\n  /colour: is not a known field\n",
    );
    expect(unknownFeedPush.code).toBe(1);
    expect(unknownFeedPush.stderr).toContain('/feeds: no feed named "nope"');
    expect(unknownFeedImport.code).toBe(1);
    expect(unknownFeedImport.stderr).toMatch(/^error: unknown feed "nope"/);
    expect(unknownFeedFollowers.code).toBe(1);
    expect(unknownFeedFollowers.stderr).toContain('No feed named "nope"');
    expect(missingFile.code).toBe(1);
    expect(missingFile.stderr).toMatch(/^error: no such file: .*no-such-story\.txt$/m);
    expect(unknownCommand.code).toBe(2);
    expect(unknownCommand.stderr).toMatch(/^error: unknown command "frobnicate"/);
    expect(unknownCommand.stderr).toContain("push FILE --feed SLUG");
    expect(unknownFlag.code).toBe(2);
    expect(unknownFlag.stderr).toMatch(/^error: unknown option --frob\n\nUsage: tidings feeds/);
    expect(missingArgument.code).toBe(2);
    expect(missingArgument.stderr).toMatch(/^error: missing FILE/);
    for (const run of [unreachable, badToken, validation, missingFile, unknownCommand]) {
      expect(run.stdout).toBe("");
    }

    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: tidings COMMAND/);
    for (const command of [
      "push",
      "import",
      "feeds",
      "feed create",
      "feed close",
      "articles",
      "delete",
      "followers",
    ]) {
      expect(help.stdout).toContain(`\n  ${command}`);
    }
    expect(pushHelp.code).toBe(0);
    expect(pushHelp.stdout).toMatch(/^Usage: tidings push FILE/);
    expect(pushHelp.stdout).toContain("--image-url URL");
  });
});

/**
 * Written to a temp dir by the test rather than kept in test/fixtures/: Biome formats Markdown
 * and would rewrite the YAML front matter as Markdown.
 */
const GENEVA_MARKDOWN = `---
headline: Syria ceasefire talks resume in Geneva
standfirst: Negotiators return to the table after a two-week pause.
authors:
  - Jane Doe
  - name: John Roe
    url: https://news.example/staff/john-roe
image:
  url: https://news.example/media/geneva.jpg
  alt: Delegates outside the Palais des Nations
  caption: Delegates arrive for the talks on Thursday.
  credit: Jane Doe/Tidings
tags: Syria, Diplomacy
feeds: [us-russia-syria, world]
language: en-GB
publishedAt: 2016-07-21T08:30:00Z
canonicalUrl: https://news.example/2016/07/21/geneva-talks
externalId: cms-geneva-4711
pinned: true
---
Talks **resumed** on Thursday, the UN envoy said.

The agenda has three points:

- a nationwide ceasefire
- aid to [besieged towns](https://news.example/aid)
- a political transition

> "We are not there yet," one delegate said.
`;

function decode(html: string): string {
  return html
    .replaceAll("&quot;", '"')
    .replaceAll("&#39;", "'")
    .replaceAll("&lt;", "<")
    .replaceAll("&gt;", ">")
    .replaceAll("&amp;", "&");
}

/** An RSS 2.0 feed of `count` items, one an hour from 2015-01-01, every tenth with a photo. */
function rssFeed(count: number): string {
  const items = Array.from({ length: count }, (_, i) => {
    const n = i + 1;
    const photo =
      n % 10 === 0
        ? `<enclosure url="https://old.example/media/${n}.jpg" type="image/jpeg" length="1000"/>`
        : "";
    return `<item>
      <title>Archive story ${n}: rates &amp; markets</title>
      <link>https://old.example/stories/${n}</link>
      <guid isPermaLink="true">https://old.example/stories/${n}</guid>
      <pubDate>${new Date(Date.UTC(2015, 0, 1, n)).toUTCString()}</pubDate>
      <description>&lt;p&gt;Summary of story &lt;b&gt;${n}&lt;/b&gt; &amp;amp; what it means.&lt;/p&gt;</description>
      <content:encoded><![CDATA[<p>Full text of story ${n}.</p>]]></content:encoded>
      <dc:creator>Reporter ${n}</dc:creator>
      <category>Archive</category>
      <category>Topic ${n % 3}</category>
      ${photo}
    </item>`;
  });
  return `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/">
  <channel>
    <title>Old site</title>
    <link>https://old.example/</link>
    <description>The archive</description>
    <language>en-gb</language>
    ${items.join("\n")}
  </channel>
</rss>`;
}

function atomFeed(): string {
  return `<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:media="http://search.yahoo.com/mrss/" xml:lang="en-GB">
  <title>Old site</title>
  <id>tag:old.example,2016:feed</id>
  <updated>2016-07-03T10:00:00Z</updated>
  <author><name>Business desk</name></author>
  <entry>
    <title type="html">Rates &amp;amp; markets</title>
    <id>tag:old.example,2016:1</id>
    <link rel="alternate" href="https://old.example/1"/>
    <link rel="enclosure" type="image/jpeg" href="https://old.example/1.jpg"/>
    <published>2016-07-01T10:00:00+01:00</published>
    <updated>2016-07-02T10:00:00Z</updated>
    <category term="economy" label="Economy"/>
    <summary type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><p>Markets <em>rose</em>.</p></div></summary>
    <content type="html">&lt;p&gt;Full &amp;amp; long story.&lt;/p&gt;</content>
  </entry>
  <entry>
    <title>Plain text</title>
    <id>tag:old.example,2016:2</id>
    <updated>2016-07-03T10:00:00Z</updated>
    <author><name>Ann</name><uri>https://old.example/ann</uri></author>
    <content type="text">Line one.

Line two &lt;3</content>
    <media:content url="https://old.example/2.png" medium="image"><media:description>A chart of rates</media:description></media:content>
  </entry>
  <entry>
    <title>Summary only</title>
    <id>tag:old.example,2016:3</id>
    <updated>2016-07-03T11:00:00Z</updated>
    <summary>Just a summary.</summary>
  </entry>
  <entry><title>Untitled and unidentified</title><updated>2016-07-03T12:00:00Z</updated></entry>
  <entry>
    <id>tag:old.example,2016:5</id>
    <updated>2016-07-03T13:00:00Z</updated>
    <content type="html">&lt;p&gt;No title at all.&lt;/p&gt;</content>
  </entry>
</feed>`;
}
