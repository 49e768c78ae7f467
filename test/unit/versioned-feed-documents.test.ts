import { describe, expect, it } from "vitest";
import { encodeDocument } from "../../src/syndication/encoded-document.ts";
import { VersionedFeedDocuments } from "../../src/syndication/versioned-feed-documents.ts";

describe("VersionedFeedDocuments", () => {
  it("lets the jobs that start at once share one read of the feed's version and one render", async () => {
    let committed = 1;
    let reads = 0;
    let renders = 0;
    let invalidations = 0;
    const held = new Map<string, Promise<Awaited<ReturnType<typeof encodeDocument>>>>();
    const documents = new VersionedFeedDocuments({
      currentVersion: async () => {
        reads++;
        await new Promise((resolve) => setTimeout(resolve, 5));
        return committed;
      },
      documents: {
        get(slug) {
          let document = held.get(slug);
          if (!document) {
            renders++;
            document = encodeDocument(
              `<rss>v${committed}</rss>`,
              "application/rss+xml",
              new Date(),
            );
            held.set(slug, document);
          }
          return document;
        },
        invalidate(slugs) {
          invalidations++;
          for (const slug of slugs) held.delete(slug);
        },
      },
    });

    const answers = await Promise.all(
      Array.from({ length: 50 }, () => documents.atLeast("world", "rss", 1)),
    );
    expect(reads).toBe(1);
    expect(renders).toBe(1);
    expect(invalidations).toBe(1);
    expect(new Set(answers.map((answer) => answer.document))).toHaveProperty("size", 1);
    expect(answers.every((answer) => answer.version === 1)).toBe(true);

    // Held already: no read at all.
    await documents.atLeast("world", "rss", 1);
    expect(reads).toBe(1);

    // A newer version committed elsewhere: read again (once), render again.
    committed = 2;
    const newer = await Promise.all([
      documents.atLeast("world", "rss", 2),
      documents.atLeast("world", "rss", 2),
    ]);
    expect(reads).toBe(2);
    expect(renders).toBe(2);
    expect(newer.map((answer) => answer.version)).toEqual([2, 2]);
    expect(new TextDecoder().decode(newer[0]?.document?.identity)).toBe("<rss>v2</rss>");
  });
});
