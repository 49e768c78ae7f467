import fc from "fast-check";
import { XMLValidator } from "fast-xml-parser";
import { describe, expect, it } from "vitest";
import { DEFAULT_LIMITS } from "../../src/config.ts";
import type { Article } from "../../src/domain/article.ts";
import { renderFeedDocuments } from "../../src/syndication/render-feed-documents.ts";
import { FIXTURE_PUBLIC_URL, fixtureFeed, fixtureStory } from "../support/fixture-story.ts";

/** The fixture story with a body of about `bytes` of HTML (its paragraphs repeated). */
function storyOfSize(bytes: number, index: number, markup = "p"): Article {
  const story = fixtureStory();
  const paragraphs = story.bodyHtml.match(/<p>.*?<\/p>/gs) ?? [];
  let body = "";
  for (let i = 0; body.length < bytes; i++) {
    const text = (paragraphs[i % paragraphs.length] ?? "<p>x</p>").replace(/<\/?p>/g, "");
    body += `<${markup}>${text} &amp; "more" &lt;${i}&gt;</${markup}>`;
  }
  const id = `0191c8a2-7a3e-7cc1-9d3e-${String(index).padStart(12, "0")}`;
  const publishedAt = new Date(Date.UTC(2026, 0, 1, 0, 0, 0) - index * 60_000);
  return { ...story, id, externalId: null, bodyHtml: body, publishedAt, updatedAt: publishedAt };
}

/** Renders all three documents with a size limit, and checks each keeps to it. */
function renderWithin(articles: readonly Article[], maxBytes: number) {
  const documents = renderFeedDocuments({
    feed: fixtureFeed(),
    articles,
    publicUrl: FIXTURE_PUBLIC_URL,
    maxBytes,
  });
  for (const format of ["rss", "atom", "json"] as const) {
    expect(Buffer.byteLength(documents[format], "utf8")).toBeLessThanOrEqual(maxBytes);
  }
  return documents;
}

describe("the feed document size limit (FEED_MAX_BYTES)", () => {
  it("keeps 50 maximum-size articles within the limit: the newest whole, the rest summary and link", () => {
    const articles = Array.from({ length: 50 }, (_, i) =>
      storyOfSize(DEFAULT_LIMITS.articleMaxBytes - 1024, i),
    );
    const documents = renderWithin(articles, DEFAULT_LIMITS.feedMaxBytes);
    expect(XMLValidator.validate(documents.rss)).toBe(true);
    expect(XMLValidator.validate(documents.atom)).toBe(true);
    const items = (JSON.parse(documents.json) as { items: { content_html: string }[] }).items;
    expect(items).toHaveLength(50);
    const whole = items.filter((item) => !item.content_html.includes("Read the whole story"));
    // A quarter-megabyte story is about 300 KB once escaped: three fit in a megabyte.
    expect(whole.length).toBeGreaterThanOrEqual(2);
    expect(whole).toEqual(items.slice(0, whole.length));
    for (const item of items.slice(whole.length)) {
      expect(item.content_html).toMatch(
        /^<p>.+<\/p><p><a href="https:\/\/news\.example\/articles\/[0-9a-f-]+">Read the whole story<\/a><\/p>$/,
      );
    }
  });

  it("keeps an item's corrections at the top even when it carries only its summary", () => {
    const correctedAt = new Date("2026-01-01T12:00:00Z");
    const articles = Array.from({ length: 6 }, (_, i) => ({
      ...storyOfSize(DEFAULT_LIMITS.articleMaxBytes - 1024, i),
      revision: 2,
      updatedAt: correctedAt,
      corrections: [
        {
          id: `0191c8a2-7a3e-7cc1-9d3e-1${String(i).padStart(11, "0")}`,
          revision: 2,
          note: `Correction number ${i} & more.`,
          correctedAt,
        },
      ],
    }));
    const documents = renderWithin(articles, DEFAULT_LIMITS.feedMaxBytes);
    const items = (JSON.parse(documents.json) as { items: { content_html: string }[] }).items;
    expect(items).toHaveLength(6);
    expect(items.some((item) => item.content_html.includes("Read the whole story"))).toBe(true);
    for (const [i, item] of items.entries()) {
      expect(item.content_html).toMatch(
        new RegExp(
          `^<p><strong>Correction \\(2026-01-01 12:00 UTC\\):</strong> Correction number ${i} &amp; more\\.</p>`,
        ),
      );
    }
  });

  it("never lets any of the three documents grow past the limit (property)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 100, max: 60_000 }), { minLength: 1, maxLength: 30 }),
        fc.integer({ min: 64 * 1024, max: 512 * 1024 }),
        fc.constantFrom("p", "strong", "em"),
        (sizes, maxBytes, markup) => {
          renderWithin(
            sizes.map((size, i) => storyOfSize(size, i, markup)),
            maxBytes,
          );
        },
      ),
      { numRuns: 40 },
    );
  });

  it("changes nothing for a feed well within the limit", () => {
    const articles = [storyOfSize(8_000, 1), storyOfSize(8_000, 2)];
    const limited = renderFeedDocuments({
      feed: fixtureFeed(),
      articles,
      publicUrl: FIXTURE_PUBLIC_URL,
      maxBytes: DEFAULT_LIMITS.feedMaxBytes,
    });
    const unlimited = renderFeedDocuments({
      feed: fixtureFeed(),
      articles,
      publicUrl: FIXTURE_PUBLIC_URL,
    });
    expect(limited).toEqual(unlimited);
  });
});
