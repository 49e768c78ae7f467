import sanitizeHtml from "sanitize-html";
import { describe, expect, it } from "vitest";
import { nestingGuard } from "../../src/content/nesting-guard.ts";
import {
  NESTING_LIMIT,
  plainTextFromHtml,
  sanitizeArticleHtml,
} from "../../src/content/sanitize-html.ts";
import { parse, shapeOf } from "../support/html-shape.ts";

const BASE = "https://news.example/articles/abc";

function sanitize(html: string): string {
  return sanitizeArticleHtml(html, BASE);
}

const nest = (open: string, close: string, levels: number, inner: string) =>
  open.repeat(levels) + inner + close.repeat(levels);

describe("NESTING_LIMIT", () => {
  it("is the depth kept: one level more is dropped, its text kept", () => {
    const html = nest("<blockquote>", "</blockquote>", NESTING_LIMIT + 1, "x");
    expect(sanitize(html)).toBe(nest("<blockquote>", "</blockquote>", NESTING_LIMIT, "x"));
  });

  it("drops deeper elements in order and closes the kept ones where the input does", () => {
    const html = `${nest("<i>", "</i>", NESTING_LIMIT + 6, "x")}<p>after</p>`;
    expect(sanitize(html)).toBe(`${nest("<i>", "</i>", NESTING_LIMIT, "x")}<p>after</p>`);
  });

  it("counts unwrapped elements too, and keeps text at every level", () => {
    const html = nest("<div>a<span>b", "c</span>d</div>", NESTING_LIMIT, "<em>deep</em>");
    const out = sanitize(html);
    expect(out).toBe(`${"ab".repeat(NESTING_LIMIT)}deep${"cd".repeat(NESTING_LIMIT)}`);
  });

  it("still drops the content of script, style and object beyond the limit", () => {
    const deep = (levels: number) =>
      nest(
        "<b>",
        "</b>",
        levels,
        "<script>evil()</script><style>p{}</style><object><p>fallback</p></object>kept",
      );
    for (const levels of [
      NESTING_LIMIT - 1,
      NESTING_LIMIT,
      NESTING_LIMIT + 1,
      NESTING_LIMIT + 10,
    ]) {
      expect(parse(sanitize(deep(levels))).text).toBe("kept");
      expect(plainTextFromHtml(deep(levels))).toBe("kept");
    }
  });

  it("forgets dropped elements once the element holding them closes", () => {
    // The <i> at the limit is dropped; its end tag never comes. The later <i> must keep its own.
    const html = `${nest("<b>", "</b>", NESTING_LIMIT, "<i>x")}<i>y</i>z`;
    expect(sanitize(html)).toBe(`${nest("<b>", "</b>", NESTING_LIMIT, "x")}<i>y</i>z`);
  });

  it("gives output that sanitises to itself", () => {
    const html = nest("<ul><li>", "</li></ul>", NESTING_LIMIT, '<a href="/x">x</a>');
    const out = sanitize(html);
    expect(shapeOf(out).depth).toBe(NESTING_LIMIT);
    expect(sanitize(out)).toBe(out);
  });

  // 80,000 nested blockquotes: what any remote account can send. The time is in the report
  // (milliseconds now, seconds before); the timeout only stops a return of the quadratic parse.
  it("handles 960 KB of nested blockquotes: limited depth, text kept", { timeout: 20_000 }, () => {
    const html = `${"<blockquote>".repeat(80_000)}deep text`;
    expect(html.length).toBeGreaterThanOrEqual(960_000);
    const out = sanitize(html);
    const shape = shapeOf(out);
    expect(shape.problems).toEqual([]);
    expect(shape.depth).toBe(NESTING_LIMIT);
    expect(parse(out).text).toBe("deep text");
    expect(plainTextFromHtml(html)).toBe("deep text");
  });
});

describe("nestingGuard", () => {
  /** The most elements htmlparser2 held open at once while sanitize-html parsed `html`. */
  function parserDepth(html: string, guarded: boolean): number {
    const guard = nestingGuard(NESTING_LIMIT, new Set(["script", "object"]));
    let depth = 0;
    let deepest = 0;
    sanitizeHtml(html, {
      allowedTags: ["b", "p", "blockquote"],
      disallowedTagsMode: "discard",
      nonTextTags: ["script", "object"],
      nestingLimit: NESTING_LIMIT,
      ...(guarded ? guard : {}),
      onOpenTag(name, attribs) {
        guard.onOpenTag(name, attribs);
        deepest = Math.max(deepest, ++depth);
      },
      onCloseTag(name, isImplied) {
        guard.onCloseTag(name, isImplied);
        depth--;
      },
    });
    return deepest;
  }

  it("is needed: with nestingLimit alone the parser holds every element", () => {
    expect(parserDepth("<blockquote>".repeat(2_000), false)).toBe(2_000);
  });

  it.each([
    ["nested blockquotes", "<blockquote>".repeat(20_000)],
    ["unclosed paragraphs in bold", "<b><p>".repeat(10_000)],
    ["nested objects at the limit", `${"<b>".repeat(NESTING_LIMIT)}${"<object>".repeat(10_000)}`],
    ["scripts at the limit", `${"<b>".repeat(NESTING_LIMIT)}${"<script><b>".repeat(10_000)}`],
  ])("keeps the parser within the limit: %s", (_, html) => {
    expect(parserDepth(html, true)).toBeLessThanOrEqual(NESTING_LIMIT + 1);
  });
});

describe("plainTextFromHtml", () => {
  // A regular expression over the input used to find block tags; every `<p` without a `>` made
  // it rescan the rest, so this took tens of seconds.
  it("is linear on tags that never end", { timeout: 20_000 }, () => {
    expect(plainTextFromHtml(`a ${"<p ".repeat(100_000)}`)).toBe("a");
  });
});
