import { describe, expect, it } from "vitest";
import type { Article, LiveUpdate } from "../../src/domain/article.ts";
import { articleJsonLd, scriptSafeJson } from "../../src/web/article-json-ld.tsx";

const article: Article = {
  id: "0190b6a4-0000-7000-8000-000000000001",
  externalId: null,
  headline: "Talks",
  standfirst: null,
  bodyHtml: "<p>Body</p>",
  authors: [{ name: "Jo", url: "javascript:alert(1)" }],
  image: null,
  tags: [],
  feeds: ["world"],
  language: "en",
  canonicalUrl: null,
  pinned: false,
  live: true,
  publishedAt: new Date("2016-07-20T08:00:00Z"),
  updatedAt: new Date("2016-07-20T08:00:00Z"),
  createdAt: new Date("2016-07-20T08:00:00Z"),
  revision: 1,
  deletedAt: null,
};

const update = (publishedAt: string): LiveUpdate => ({
  id: "0190b6a4-0000-7000-8000-000000000002",
  articleId: article.id,
  externalId: null,
  headline: null,
  bodyHtml: "<p>One &amp; two</p>",
  authors: [],
  image: null,
  publishedAt: new Date(publishedAt),
  updatedAt: new Date(publishedAt),
  createdAt: new Date(publishedAt),
  revision: 1,
  deletedAt: null,
});

describe("articleJsonLd", () => {
  const input = { publicUrl: "https://news.example", siteName: "News", article };

  it("gives a live story its coverage start and updates, and no end nobody knows yet", () => {
    const ld = articleJsonLd({ ...input, updates: [update("2016-07-20T08:30:00Z")] });
    expect(ld["@type"]).toBe("LiveBlogPosting");
    expect(ld.coverageStartTime).toBe("2016-07-20T08:00:00.000Z");
    expect(ld).not.toHaveProperty("coverageEndTime");
    expect(ld.dateModified).toBe("2016-07-20T08:30:00.000Z");
    expect(ld.liveBlogUpdate).toEqual([
      expect.objectContaining({ headline: "Talks", articleBody: "One & two" }),
    ]);
  });

  it("keeps an ended story a LiveBlogPosting, its coverage ending when live coverage ended", () => {
    const ended = { ...article, live: false, liveEndedAt: new Date("2016-07-20T18:00:00Z") };
    for (const updates of [[update("2016-07-20T08:30:00Z")], []]) {
      const ld = articleJsonLd({ ...input, article: ended, updates });
      expect(ld).toMatchObject({
        "@type": "LiveBlogPosting",
        coverageStartTime: "2016-07-20T08:00:00.000Z",
        coverageEndTime: "2016-07-20T18:00:00.000Z",
      });
      expect(ld.liveBlogUpdate).toHaveLength(updates.length);
    }
  });

  it("starts coverage at a backdated first update, and ends a never-live story's at its last", () => {
    const updates = [update("2016-07-20T11:00:00Z"), update("2016-07-20T07:15:00Z")];
    const ld = articleJsonLd({ ...input, article: { ...article, live: false }, updates });
    expect(ld).toMatchObject({
      "@type": "LiveBlogPosting",
      coverageStartTime: "2016-07-20T07:15:00.000Z",
      coverageEndTime: "2016-07-20T11:00:00.000Z",
    });
  });

  it("keeps a story that never had live coverage a NewsArticle, without coverage times", () => {
    const ld = articleJsonLd({ ...input, article: { ...article, live: false }, updates: [] });
    expect(ld["@type"]).toBe("NewsArticle");
    expect(ld).not.toHaveProperty("coverageStartTime");
    expect(ld).not.toHaveProperty("coverageEndTime");
    expect(ld).not.toHaveProperty("liveBlogUpdate");
  });

  it("links authors only through http(s) URLs", () => {
    const ld = articleJsonLd({ ...input, updates: [] });
    expect(ld.author).toEqual([{ "@type": "Person", name: "Jo" }]);
  });
});

describe("scriptSafeJson", () => {
  it("leaves nothing that could end a script element, and parses back to the same value", () => {
    const value = { text: "</script><!-- & \u2028\u2029 <b>" };
    const json = scriptSafeJson(value);
    expect(json).not.toMatch(/[<>&\u2028\u2029]/);
    expect(JSON.parse(json)).toEqual(value);
  });
});
