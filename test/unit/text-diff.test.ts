import { describe, expect, it } from "vitest";
import {
  MAX_CHANGED_PARAGRAPHS,
  publicHistory,
  type RevisionText,
} from "../../src/content/revision-history.ts";
import {
  DiffBudget,
  type DiffPart,
  diffParagraphs,
  diffSequences,
  diffWords,
} from "../../src/content/text-diff.ts";

/** The version a diff says was there before, and the one after. */
function sides(parts: readonly DiffPart[]) {
  return {
    before: parts
      .filter((p) => p.op !== "added")
      .map((p) => p.text)
      .join(""),
    after: parts
      .filter((p) => p.op !== "removed")
      .map((p) => p.text)
      .join(""),
  };
}

describe("diffWords", () => {
  it("marks a replaced word, removal first, and keeps the rest", () => {
    expect(diffWords("The talks took place in Geneva.", "The talks took place in Moscow.")).toEqual(
      [
        { op: "same", text: "The talks took place in " },
        { op: "removed", text: "Geneva." },
        { op: "added", text: "Moscow." },
      ],
    );
  });

  it("finds an insertion and a deletion in the middle", () => {
    expect(diffWords("Kerry met Lavrov today", "Kerry briefly met Lavrov")).toEqual([
      { op: "same", text: "Kerry " },
      { op: "added", text: "briefly " },
      { op: "same", text: "met " },
      { op: "removed", text: "Lavrov today" },
      { op: "added", text: "Lavrov" },
    ]);
  });

  it("says nothing changed for equal texts, and all changed for disjoint ones", () => {
    expect(diffWords("same text", "same text")).toEqual([{ op: "same", text: "same text" }]);
    expect(diffWords("", "")).toEqual([]);
    expect(diffWords("", "new")).toEqual([{ op: "added", text: "new" }]);
    expect(diffWords("old words", "")).toEqual([{ op: "removed", text: "old words" }]);
    expect(diffWords("a b", "c d")).toEqual([
      { op: "removed", text: "a b" },
      { op: "added", text: "c d" },
    ]);
  });

  it("always gives back both versions exactly, in alternating parts", () => {
    let seed = 7;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const vocabulary = ["Kerry", "Lavrov", "Syria", "talks", "in", "Moscow", "Geneva", "the"];
    const text = () =>
      Array.from(
        { length: Math.floor(random() * 12) },
        () => vocabulary[Math.floor(random() * vocabulary.length)],
      ).join(random() < 0.2 ? "  " : " ");
    for (let run = 0; run < 300; run++) {
      const before = text();
      const after = text();
      const parts = diffWords(before, after);
      expect(sides(parts)).toEqual({ before, after });
      for (let k = 1; k < parts.length; k++) expect(parts[k]?.op).not.toBe(parts[k - 1]?.op);
    }
  });

  it("diffSequences keeps a longest common subsequence", () => {
    const steps = diffSequences([..."ABCBDAB"], [..."BDCABA"]);
    expect(steps.filter((s) => s.op === "same")).toHaveLength(4);
    expect(
      steps
        .filter((s) => s.op !== "added")
        .map((s) => s.item)
        .join(""),
    ).toBe("ABCBDAB");
    expect(
      steps
        .filter((s) => s.op !== "removed")
        .map((s) => s.item)
        .join(""),
    ).toBe("BDCABA");
  });

  it("replaces a huge middle whole rather than build a table past its bound", () => {
    const a = Array.from({ length: 1200 }, (_, i) => `a${i}`);
    const b = Array.from({ length: 1200 }, (_, i) => `b${i}`);
    const steps = diffSequences(["x", ...a, "y"], ["x", ...b, "y"]);
    expect(steps.map((s) => s.op)).toEqual([
      "same",
      ...a.map(() => "removed"),
      ...b.map(() => "added"),
      "same",
    ]);
  });
});

describe("diffParagraphs", () => {
  it("keeps unchanged paragraphs, pairs rewritten ones word by word, and marks new and gone ones", () => {
    expect(
      diffParagraphs(
        ["Intro.", "The talks took place in Geneva.", "Old ending.", "Gone."],
        ["Intro.", "The talks took place in Moscow.", "New ending.", "Gone.", "Added."],
      ),
    ).toEqual({
      moreChanged: 0,
      paragraphs: [
        { op: "same", text: "Intro." },
        {
          op: "changed",
          parts: [
            { op: "same", text: "The talks took place in " },
            { op: "removed", text: "Geneva." },
            { op: "added", text: "Moscow." },
          ],
        },
        {
          op: "changed",
          parts: [
            { op: "removed", text: "Old " },
            { op: "added", text: "New " },
            { op: "same", text: "ending." },
          ],
        },
        { op: "same", text: "Gone." },
        { op: "added", text: "Added." },
      ],
    });
    expect(diffParagraphs(["a", "b"], ["b"]).paragraphs).toEqual([
      { op: "removed", text: "a" },
      { op: "same", text: "b" },
    ]);
  });

  it("shows at most maxChanged changed paragraphs and counts the rest", () => {
    const before = Array.from({ length: 30 }, (_, i) => `old ${i}`);
    const after = Array.from({ length: 30 }, (_, i) => (i % 2 ? `new ${i}` : `old ${i}`));
    const { paragraphs, moreChanged } = diffParagraphs(before, after, { maxChanged: 5 });
    expect(paragraphs.filter((p) => p.op !== "same")).toHaveLength(5);
    expect(moreChanged).toBe(10);
    expect(paragraphs.at(-1)?.op).toBe("changed");
  });

  it("compares whole once the budget is spent", () => {
    const budget = new DiffBudget(4);
    expect(diffWords("a b c", "a x c", budget)).toEqual([
      { op: "same", text: "a " },
      { op: "removed", text: "b " },
      { op: "added", text: "x " },
      { op: "same", text: "c" },
    ]);
    // 2x2 middle: 4 cells spent above; nothing left for the next.
    expect(diffWords("a b c d", "a x y d", budget)).toEqual([
      { op: "same", text: "a " },
      { op: "removed", text: "b c " },
      { op: "added", text: "x y " },
      { op: "same", text: "d" },
    ]);
  });
});

describe("publicHistory", () => {
  const revision = (n: number, at: string, fields: Partial<RevisionText> = {}): RevisionText => ({
    revision: n,
    recordedAt: new Date(at),
    headline: "Kerry and Lavrov meet",
    standfirst: null,
    bodyHtml: "<p>The talks took place in Geneva.</p><p>More.</p>",
    correction: null,
    ...fields,
  });

  it("starts at the version that went public, folding in drafts before publication", () => {
    const entries = publicHistory(
      [
        revision(1, "2016-07-20T06:00:00Z", { headline: "DRAFT embargoed" }),
        revision(2, "2016-07-20T07:00:00Z"),
        revision(3, "2016-07-20T09:00:00Z", {
          bodyHtml: "<p>The talks took place in <em>Moscow</em>.</p><p>More.</p>",
          correction: "They were in Moscow.",
        }),
        revision(4, "2016-07-20T10:00:00Z", {
          bodyHtml: "<p>The talks took place in <strong>Moscow</strong>.</p><p>More.</p>",
          standfirst: "Talks.",
        }),
      ],
      new Date("2016-07-20T08:00:00Z"),
    );
    expect(entries.map((e) => [e.revision, e.at.toISOString(), e.first])).toEqual([
      [2, "2016-07-20T08:00:00.000Z", true],
      [3, "2016-07-20T09:00:00.000Z", false],
      [4, "2016-07-20T10:00:00.000Z", false],
    ]);
    expect(JSON.stringify(entries)).not.toContain("DRAFT");
    expect(entries[1]).toMatchObject({
      correction: "They were in Moscow.",
      headline: null,
      standfirst: null,
      body: [
        {
          op: "changed",
          parts: [
            { op: "same", text: "The talks took place in " },
            { op: "removed", text: "Geneva." },
            { op: "added", text: "Moscow." },
          ],
        },
        { op: "same", text: "More." },
      ],
    });
    // Emphasis moved but the text reads the same: no body change.
    expect(entries[2]).toMatchObject({
      correction: null,
      body: null,
      standfirst: [{ op: "added", text: "Talks." }],
    });
  });

  it("shows at most MAX_CHANGED_PARAGRAPHS of a rewrite per revision and counts the rest", () => {
    const body = (version: number) =>
      Array.from({ length: 30 }, (_, i) => `<p>Paragraph ${i}, version ${version}.</p>`).join("");
    const entries = publicHistory(
      [0, 1, 2].map((v) => revision(v + 1, `2016-07-20T0${8 + v}:00:00Z`, { bodyHtml: body(v) })),
      new Date("2016-07-20T08:00:00Z"),
    );
    for (const entry of entries.slice(1)) {
      expect(entry.body?.filter((p) => p.op !== "same")).toHaveLength(MAX_CHANGED_PARAGRAPHS);
      expect(entry.moreChangedParagraphs).toBe(30 - MAX_CHANGED_PARAGRAPHS);
    }
  });

  it("begins with the first revision for a story published before it was stored (backdated)", () => {
    const entries = publicHistory(
      [revision(1, "2016-07-20T09:00:00Z")],
      new Date("2016-07-19T00:00:00Z"),
    );
    expect(entries).toEqual([
      {
        revision: 1,
        at: new Date("2016-07-19T00:00:00Z"),
        first: true,
        correction: null,
        headline: null,
        standfirst: null,
        body: null,
        moreChangedParagraphs: 0,
      },
    ]);
    expect(publicHistory([], new Date())).toEqual([]);
  });
});
