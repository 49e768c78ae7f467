import { XMLParser } from "fast-xml-parser";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ArticleOutput } from "../../src/schemas/article.schema.ts";
import { DATABASE_KINDS } from "../support/databases.ts";
import { type FederatedServer, startFederatedServer } from "../support/federated-server.ts";
import {
  fetchActor,
  follow,
  type PeerServer,
  postSigned,
  startPeerServer,
} from "../support/fediverse-peer.ts";
import { type Format, titles } from "../support/feed-items.ts";
import { createTestApp, fixedClock, PUBLIC_URL, type TestApp } from "../support/test-app.ts";

type Json = Record<string, unknown>;
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
      .select(["id", "kind", "revision", "correctionId"])
      .where("articleId", "=", article.id)
      .orderBy("id")
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
    // The Update of revision 3 commits with it, as for any revision, and after it the
    // correction's reply in the fediverse thread (named by the correction).
    expect(
      rows.outbox.map(({ kind, revision, correctionId }) => [kind, revision, correctionId]),
    ).toEqual([
      ["create", 1, null],
      ["update", 2, null],
      ["update", 3, null],
      ["create", 3, corrected.corrections[0]?.id],
    ]);

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

const BROWSER = "text/html,application/xhtml+xml";
const xml = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: "@" });

/** The content and updated time of a feed document's item for an article, whatever the format. */
function feedItem(format: Format, body: string, articleId: string) {
  const url = `${PUBLIC_URL}/articles/${articleId}`;
  if (format === "json") {
    const doc = JSON.parse(body) as {
      items: { id: string; content_html: string; date_modified: string }[];
    };
    const item = doc.items.find((i) => i.id === url);
    return { content: item?.content_html ?? "", updated: item?.date_modified ?? "" };
  }
  const doc = xml.parse(body);
  const raw = format === "rss" ? doc.rss.channel.item : doc.feed.entry;
  const items = (Array.isArray(raw) ? raw : [raw]) as Record<string, unknown>[];
  const text = (value: unknown) =>
    typeof value === "string" ? value : ((value as { "#text": string })["#text"] ?? "");
  const item = items.find((i) => text(format === "rss" ? i.guid : i.id) === url) ?? {};
  return format === "rss"
    ? { content: text(item["content:encoded"]), updated: text(item["atom:updated"]) }
    : { content: text(item.content), updated: text(item.updated) };
}

/** The page's JSON-LD data blocks, parsed. */
function jsonLd(html: string): Record<string, unknown>[] {
  return [...html.matchAll(/<script type="application\/ld\+json">([\s\S]*?)<\/script>/g)].map(
    (m) => JSON.parse(m[1] ?? "") as Record<string, unknown>,
  );
}

/** What readers see of a correction: the page's box and JSON-LD, and the top of every feed item. */
describe.each(DATABASE_KINDS)("corrections for readers on %s", (kind) => {
  let t: TestApp;
  const clock = fixedClock(new Date("2016-07-20T09:00:00Z"));
  let id: string;

  beforeAll(async () => {
    t = await createTestApp(kind, { clock });
    const pushed = await t.admin("POST", "/admin/articles", {
      headline: "Kerry and Lavrov meet in Geneva",
      bodyHtml: "<p>The talks took place in Geneva.</p>",
      image: { url: "https://news.example/media/kerry.jpg", alt: "Kerry and Lavrov" },
      feeds: ["us-russia-syria", "world"],
      contentWarning: "Images of war",
      publishedAt: "2016-07-20T08:00:00Z",
    });
    expect(pushed.status).toBe(201);
    id = ((await pushed.json()) as ArticleOutput).id;
    clock.set(new Date("2016-07-20T09:30:00Z"));
    const first = await t.admin("PATCH", `/admin/articles/${id}`, {
      headline: "Kerry and Lavrov meet in Moscow",
      correction: NOTE,
    });
    expect(first.status).toBe(200);
    clock.set(new Date("2016-07-20T10:00:00Z"));
    const second = await t.admin("PATCH", `/admin/articles/${id}`, {
      correction: "Lavrov's name was misspelt </script><script>alert(1)</script> & fixed.",
    });
    expect(second.status).toBe(200);
  });
  afterAll(() => t?.destroy());

  it("shows a dated Correction box, newest first, marks the story corrected", async () => {
    const response = await t.get(`/articles/${id}`, { accept: BROWSER });
    expect(response.status).toBe(200);
    const html = await response.text();
    const box = html.match(/<aside class="correction"[^>]*>([\s\S]*?)<\/aside>/)?.[1] ?? "";
    expect(box).toContain('<h2 id="correction-heading">Corrections</h2>');
    const paragraphs = [...box.matchAll(/<p id="correction-[0-9a-f-]{36}">([\s\S]*?)<\/p>/g)].map(
      (m) => m[1],
    );
    expect(paragraphs).toEqual([
      '<time datetime="2016-07-20T10:00:00.000Z">20 July 2016 at 10:00 UTC</time>: Lavrov&#39;s name was misspelt &lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt; &amp; fixed.',
      `<time datetime="2016-07-20T09:30:00.000Z">20 July 2016 at 09:30 UTC</time>: ${NOTE.replace("'", "&#39;")}`,
    ]);
    // Before the warning and the story.
    expect(html.indexOf('class="correction"')).toBeLessThan(html.indexOf("content-warning"));
    expect(html).toContain('<span class="badge">Corrected</span> updated');
    expect(html).not.toContain("<script>alert(1)");
  });

  it("describes the corrections as CorrectionComment JSON-LD that no note can break out of", async () => {
    const html = await (await t.get(`/articles/${id}`, { accept: BROWSER })).text();
    const [data, ...others] = jsonLd(html);
    expect(others).toEqual([]);
    expect(data).toMatchObject({
      "@context": "https://schema.org",
      "@type": "NewsArticle",
      headline: "Kerry and Lavrov meet in Moscow",
      url: `${PUBLIC_URL}/articles/${id}`,
      datePublished: "2016-07-20T08:00:00.000Z",
      dateModified: "2016-07-20T10:00:00.000Z",
      correction: [
        {
          "@type": "CorrectionComment",
          text: "Lavrov's name was misspelt </script><script>alert(1)</script> & fixed.",
          datePublished: "2016-07-20T10:00:00.000Z",
          url: expect.stringMatching(new RegExp(`/articles/${id}#correction-[0-9a-f-]{36}$`)),
        },
        { "@type": "CorrectionComment", text: NOTE, datePublished: "2016-07-20T09:30:00.000Z" },
      ],
    });
    // The only script that runs is still our own file.
    expect(
      [...html.matchAll(/<script\b[^>]*>/g)]
        .map((m) => m[0])
        .filter((tag) => !tag.includes("application/ld+json")),
    ).toEqual(['<script src="/assets/site.js" defer="">']);
  });

  it("opens the item's content with the corrections in all three feeds, updated at the last one", async () => {
    for (const slug of ["us-russia-syria", "world"]) {
      for (const format of ["rss", "atom", "json"] as const) {
        const body = await (await t.get(`/feeds/${slug}.${format}`)).text();
        expect(titles(format, body)).toEqual(["Kerry and Lavrov meet in Moscow"]); // well-formed
        const item = feedItem(format, body, id);
        expect(
          item.content.startsWith(
            "<p><strong>Correction (2016-07-20 10:00 UTC):</strong> Lavrov's name was misspelt &lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt; &amp; fixed.</p>" +
              `<p><strong>Correction (2016-07-20 09:30 UTC):</strong> ${NOTE}</p>` +
              "<p><strong>Content warning:</strong> Images of war</p>",
          ),
          `${slug}.${format}: ${item.content.slice(0, 300)}`,
        ).toBe(true);
        expect(new Date(item.updated).toISOString()).toBe("2016-07-20T10:00:00.000Z");
      }
    }
  });

  it("keeps a silent fix silent: no box, no note, 'Updated' rather than 'Corrected'", async () => {
    const pushed = (await (
      await t.admin("POST", "/admin/articles", {
        headline: "Talks resume",
        bodyHtml: "<p>Talks resume on Friday.</p>",
        feeds: ["world"],
        publishedAt: "2016-07-20T09:00:00Z",
      })
    ).json()) as ArticleOutput;
    clock.set(new Date("2016-07-20T10:30:00Z"));
    const fixed = await t.admin("PATCH", `/admin/articles/${pushed.id}`, {
      bodyHtml: "<p>Talks resume on Saturday.</p>",
    });
    expect(fixed.status).toBe(200);
    const html = await (await t.get(`/articles/${pushed.id}`, { accept: BROWSER })).text();
    expect(html).not.toContain('class="correction"');
    expect(html).not.toContain("Corrected");
    expect(html).toContain('Updated <time datetime="2016-07-20T10:30:00.000Z">');
    expect(jsonLd(html)[0]).not.toHaveProperty("correction");
    const json = await (await t.get("/feeds/world.json")).text();
    const item = feedItem("json", json, pushed.id);
    expect(item.content.startsWith("<p>Talks resume on Saturday.</p>")).toBe(true);
    expect(item.updated).toBe("2016-07-20T10:30:00.000Z");
  });
});

/**
 * Followers hear of a correction: the independent peer receives, over signed HTTP, an Update
 * whose object's content opens with the note and whose `updated` is the correction's time; a
 * silent fix's Update carries the earlier correction and no new one.
 */
describe.each(DATABASE_KINDS)("corrections on the fediverse on %s", (kind) => {
  let server: FederatedServer;
  let peer: PeerServer;
  let id: string;

  beforeAll(async () => {
    server = await startFederatedServer(kind, "direct");
    peer = await startPeerServer({ host: "127.0.0.15", actors: ["alice"] });
    const world = `${server.url}/ap/feeds/world`;
    const followed = await postSigned(`${world}/inbox`, follow(peer.actor("alice"), world), {
      actor: peer.actor("alice"),
    });
    expect(followed.status).toBe(202);
    await peer.waitFor((r) => r.type === "Accept", 15_000);
    const pushed = await server.admin("POST", "/admin/articles", {
      headline: "Kerry and Lavrov meet in Geneva",
      standfirst: "Talks on Syria.",
      bodyHtml: "<p>The talks took place in Geneva.</p>",
      feeds: ["world"],
    });
    expect(pushed.status).toBe(201);
    id = ((await pushed.json()) as ArticleOutput).id;
    await peer.waitFor((r) => r.type === "Create", 15_000);
  });
  afterAll(async () => {
    await peer?.close();
    await server?.close();
  });

  const updateOf = (revision: number) =>
    peer.waitFor(
      (r) => r.type === "Update" && String(r.activity.id).endsWith(`/${revision}/update`),
      15_000,
    );

  it("sends an Update whose content opens with the note, updated at the correction", async () => {
    const response = await server.admin("PATCH", `/admin/articles/${id}`, {
      headline: "Kerry and Lavrov meet in Moscow",
      correction: `${NOTE} <b>Sorry</b>`,
    });
    expect(response.status).toBe(200);
    const corrected = (await response.json()) as ArticleOutput;
    const update = await updateOf(2);
    const note = update.activity.object as Json;
    const correctedAt = corrected.corrections[0]?.correctedAt.slice(0, 16).replace("T", " ");
    expect(note.type).toBe("Note");
    expect(
      String(note.content).startsWith(
        `<p><strong>Correction (${correctedAt} UTC):</strong> ${NOTE} &lt;b&gt;Sorry&lt;/b&gt;</p><p><strong>Kerry and Lavrov meet in Moscow</strong></p>`,
      ),
    ).toBe(true);
    expect(new Date(String(note.updated)).toISOString()).toBe(corrected.updatedAt);
    expect(new Date(String(update.activity.updated)).toISOString()).toBe(corrected.updatedAt);
    // The object served at its id says the same.
    const fetched = (await fetchActor(`${server.url}/ap/feeds/world/articles/${id}`, {
      signAs: peer.actor("alice"),
    })) as Json;
    expect(fetched.content).toBe(note.content);
  });

  it("keeps the earlier correction in a silent fix's Update, with no new note", async () => {
    const response = await server.admin("PATCH", `/admin/articles/${id}`, {
      standfirst: "Talks on the war in Syria.",
    });
    expect(response.status).toBe(200);
    const note = (await updateOf(3)).activity.object as Json;
    const content = String(note.content);
    expect(content.match(/<strong>Correction /g)).toHaveLength(1);
    expect(content).toContain("Talks on the war in Syria.");
  });
});

/** The public history page: every public revision with a readable diff; nothing for others. */
describe.each(DATABASE_KINDS)("the history page on %s", (kind) => {
  let t: TestApp;
  const clock = fixedClock(new Date("2016-07-20T07:00:00Z"));
  let id: string;

  const patch = async (at: string, body: unknown) => {
    clock.set(new Date(at));
    const response = await t.admin("PATCH", `/admin/articles/${id}`, body);
    expect(response.status).toBe(200);
  };

  beforeAll(async () => {
    t = await createTestApp(kind, { clock });
    // Scheduled for 08:00, and edited before then: that draft never went public.
    const pushed = await t.admin("POST", "/admin/articles", {
      headline: "EMBARGOED DRAFT headline",
      bodyHtml: "<p>Draft.</p>",
      feeds: ["us-russia-syria"],
      publishedAt: "2016-07-20T08:00:00Z",
    });
    expect(pushed.status).toBe(201);
    id = ((await pushed.json()) as ArticleOutput).id;
    await patch("2016-07-20T07:30:00Z", {
      headline: "Kerry and Lavrov meet in Geneva",
      standfirst: "Talks on Syria.",
      bodyHtml:
        "<p>The talks took place in Geneva.</p><p>Both sides spoke of progress.</p><p>More talks are planned.</p>",
    });
  });
  afterAll(() => t?.destroy());

  it("has no public history while the story is scheduled", async () => {
    for (const accept of [BROWSER, "application/json"]) {
      const response = await t.get(`/articles/${id}/history`, { accept });
      expect(response.status).toBe(404);
      expect(await response.text()).not.toContain("EMBARGOED");
    }
  });

  it("lists every public revision, newest first, with its note and a readable diff, linked from the page", async () => {
    await patch("2016-07-20T09:30:00Z", {
      headline: "Kerry and Lavrov meet in Moscow",
      bodyHtml:
        "<p>The talks took place in Moscow.</p><p>Both sides spoke of progress.</p><p>More talks are planned.</p>",
      correction: NOTE,
    });
    await patch("2016-07-20T10:00:00Z", {
      standfirst: "Talks on the war in Syria.",
      tags: ["Syria"],
    });
    await patch("2016-07-20T10:15:00Z", { tags: ["Syria", "Russia"] });

    const page = await (await t.get(`/articles/${id}`, { accept: BROWSER })).text();
    expect(page).toContain(
      `<a href="${PUBLIC_URL}/articles/${id}/history">History of this story</a>`,
    );

    const response = await t.get(`/articles/${id}/history`, { accept: BROWSER });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/html");
    expect(response.headers.get("content-security-policy")).toContain("default-src 'none'");
    const html = await response.text();
    expect(html).not.toContain("EMBARGOED");
    expect(html).toContain(`<a href="${PUBLIC_URL}/articles/${id}">Back to the story</a>`);
    expect(html).toContain("3 changes since it was published.");
    const entries = [...html.matchAll(/<li id="revision-(\d+)">([\s\S]*?)<\/li>/g)].map((m) => ({
      revision: Number(m[1]),
      html: m[2] ?? "",
    }));
    expect(entries.map((e) => e.revision)).toEqual([5, 4, 3, 2]);
    const heading = (entry: { html: string }) =>
      entry.html.match(/<h2>([\s\S]*?)<\/h2>/)?.[1]?.replace(/<[^>]+>/g, "");
    expect(entries.map(heading)).toEqual([
      "Updated 20 July 2016 at 10:15 UTC",
      "Updated 20 July 2016 at 10:00 UTC",
      "Corrected 20 July 2016 at 09:30 UTC",
      "Published 20 July 2016 at 08:00 UTC",
    ]);
    const [tagsOnly, silent, corrected, published] = entries;
    expect(tagsOnly?.html).toContain("No change to the headline, standfirst or text.");
    expect(corrected?.html).toContain(
      `<p class="correction"><strong>Correction:</strong> ${NOTE.replace("'", "&#39;")}</p>`,
    );
    // Read as text: removed words struck through, added ones underlined, said for screen readers.
    const readable = (fragment: string) =>
      fragment
        .replace(/<span class="visually-hidden">[^<]*<\/span>/g, "")
        .replace(/<del>([^<]*)<\/del>/g, "[-$1-]")
        .replace(/<ins>([^<]*)<\/ins>/g, "{+$1+}")
        .replace(/<[^>]+>/g, "|")
        .replace(/\|+/g, "|");
    expect(readable(corrected?.html ?? "")).toContain(
      "|Headline|Kerry and Lavrov meet in [-Geneva-]{+Moscow+}|Text|The talks took place in [-Geneva.-]{+Moscow.+}|… 2 unchanged paragraphs …|",
    );
    expect(corrected?.html).not.toContain("Standfirst");
    expect(readable(silent?.html ?? "")).toContain("|Standfirst|Talks on {+the war in +}Syria.|");
    expect(silent?.html).not.toContain('class="correction"');
    expect(published?.html).not.toContain("<del>");
    expect(published?.html).not.toContain("<ins>");
  });

  it("answers 404 for an unknown article, and 410 with no history once deleted", async () => {
    expect((await t.get("/articles/00000000-0000-7000-8000-000000000000/history")).status).toBe(
      404,
    );
    expect((await t.get("/articles/not-an-id/history", { accept: BROWSER })).status).toBe(404);
    expect((await t.admin("DELETE", `/admin/articles/${id}`)).status).toBe(204);
    const page = await t.get(`/articles/${id}/history`, { accept: BROWSER });
    expect(page.status).toBe(410);
    const body = await page.text();
    expect(body).toContain("This article was removed");
    expect(body).not.toContain("Kerry");
    const api = await t.get(`/articles/${id}/history`, { accept: "application/json" });
    expect(api.status).toBe(410);
    expect(api.headers.get("content-type")).toContain("application/problem+json");
  });
});
