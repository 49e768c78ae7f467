import { XMLParser, XMLValidator } from "fast-xml-parser";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ArticleOutput, LiveUpdateOutput } from "../../src/schemas/article.schema.ts";
import { DATABASE_KINDS } from "../support/databases.ts";
import { titles } from "../support/feed-items.ts";
import { createTestApp, fixedClock, PUBLIC_URL, type TestApp } from "../support/test-app.ts";

const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: "@" });
const FEED = "us-russia-syria";

describe.each(DATABASE_KINDS)("live updates in feeds on %s", (kind) => {
  let t: TestApp;
  const clock = fixedClock(new Date("2016-07-20T09:00:00Z"));
  beforeAll(async () => {
    t = await createTestApp(kind, { clock });
  });
  afterAll(() => t.destroy());

  const push = async (path: string, body: unknown) => {
    const response = await t.admin("POST", path, body);
    expect(response.status).toBe(201);
    return response.json();
  };

  it("lists each update as its own item in all three formats, newest first, and follows edits and deletion", async () => {
    const article = (await push("/admin/articles", {
      headline: "Kerry and Lavrov meet",
      bodyHtml: "<p>Talks in Moscow.</p>",
      feeds: [FEED],
      publishedAt: "2016-07-20T08:00:00Z",
    })) as ArticleOutput;
    const first = (await push(`/admin/articles/${article.id}/updates`, {
      headline: "Kerry lands",
      bodyHtml: "<p>Landed <script>x()</script>at Vnukovo.</p>",
      publishedAt: "2016-07-20T08:30:00Z",
    })) as LiveUpdateOutput;
    const second = (await push(`/admin/articles/${article.id}/updates`, {
      bodyHtml: "<p>Talks begin.</p>",
      publishedAt: "2016-07-20T08:45:00Z",
    })) as LiveUpdateOutput;
    const scheduled = (await push(`/admin/articles/${article.id}/updates`, {
      headline: "Not yet",
      bodyHtml: "<p>Later.</p>",
      publishedAt: "2016-07-20T12:00:00Z",
    })) as LiveUpdateOutput;

    for (const format of ["rss", "atom", "json"] as const) {
      const body = await (await t.get(`/feeds/${FEED}.${format}`)).text();
      expect(titles(format, body)).toEqual([
        "Kerry and Lavrov meet (2016-07-20 08:45 UTC)",
        "Update: Kerry lands",
        "Kerry and Lavrov meet",
      ]);
      expect(body).not.toContain(scheduled.id);
      expect(body).not.toContain("<script>");
    }

    const rss = await (await t.get(`/feeds/${FEED}.rss`)).text();
    const items = parser.parse(rss).rss.channel.item as {
      guid: { "#text": string; "@isPermaLink": string };
      link: string;
    }[];
    const anchor = `${PUBLIC_URL}/articles/${article.id}#update-${first.id}`;
    expect(items[1]?.guid).toEqual({ "#text": anchor, "@isPermaLink": "false" });
    expect(items[1]?.link).toBe(anchor);
    expect(items[2]?.guid["@isPermaLink"]).toBe("true");

    const json = JSON.parse(await (await t.get(`/feeds/${FEED}.json`)).text()) as {
      items: { id: string; url: string; content_html: string; date_published: string }[];
    };
    expect(json.items[0]?.id).toBe(`${PUBLIC_URL}/articles/${article.id}#update-${second.id}`);
    expect(json.items[0]?.date_published).toBe("2016-07-20T08:45:00.000Z");
    expect(json.items[1]?.content_html).toContain("Landed at Vnukovo.");

    // An edit changes the item's content and the ETag; a deletion removes the item.
    const before = await t.get(`/feeds/${FEED}.atom`);
    const etag = before.headers.get("etag");
    clock.advance(60_000);
    const patched = await t.admin("PATCH", `/admin/articles/${article.id}/updates/${first.id}`, {
      bodyHtml: "<p>Landed at Vnukovo-2.</p>",
    });
    expect(patched.status).toBe(200);
    const afterEdit = await t.get(`/feeds/${FEED}.atom`);
    expect(afterEdit.headers.get("etag")).not.toBe(etag);
    const atom = await afterEdit.text();
    expect(XMLValidator.validate(atom)).toBe(true);
    const entry = atom.split("<entry>").find((e) => e.includes(`#update-${first.id}`)) ?? "";
    expect(entry).toContain("Vnukovo-2");
    expect(entry).toContain("<updated>2016-07-20T09:01:00.000Z</updated>");

    const removed = await t.admin("DELETE", `/admin/articles/${article.id}/updates/${first.id}`);
    expect(removed.status).toBe(204);
    const afterDelete = await t.get(`/feeds/${FEED}.atom`);
    expect(afterDelete.headers.get("etag")).not.toBe(afterEdit.headers.get("etag"));
    expect(titles("atom", await afterDelete.text())).toEqual([
      "Kerry and Lavrov meet (2016-07-20 08:45 UTC)",
      "Kerry and Lavrov meet",
    ]);

    // The scheduled update appears when its time comes.
    clock.advance(3 * 60 * 60_000);
    const later = await (await t.get(`/feeds/${FEED}.rss`)).text();
    expect(titles("rss", later)[0]).toBe("Update: Not yet");
  });
});
