import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  cleanText,
  NESTING_LIMIT,
  sanitizeArticleHtml,
  sanitizeReplyHtml,
} from "../../src/content/sanitize-html.ts";
import { parse, shapeOf } from "../support/html-shape.ts";

/**
 * Random fragments of markup, each with the text a reader should get from it, computed from the
 * generated tree (never from the sanitiser): kept and unwrapped elements keep their text, removed
 * ones lose it with their content.
 */
interface Fragment {
  readonly html: string;
  readonly text: string;
}

const BASE = "https://news.example/articles/abc";

const escapeText = (text: string) => text.replaceAll("&", "&amp;").replaceAll("<", "&lt;");
const escapeAttribute = (value: string) => value.replaceAll("&", "&amp;").replaceAll('"', "&quot;");

/** Text with markup characters, whitespace of every kind, non-ASCII and forbidden characters. */
const text = fc.string({
  unit: fc.oneof(
    fc.constantFrom(
      ..."<>&\"' \n\t\r\u00A0\u0001\u0008\uFFFE\u2028é€日".split(""),
      "😀",
      "<p>",
      "&amp;",
    ),
    fc.string({ unit: "grapheme", minLength: 1, maxLength: 1 }),
  ),
  maxLength: 12,
});

const textNode: fc.Arbitrary<Fragment> = fc.oneof(
  text.map((t) => ({ html: escapeText(t), text: t })),
  // Written as the input may have it: a bare `<` that starts no tag, character references.
  fc.constantFrom(
    { html: " < ", text: " < " },
    { html: "<3", text: "<3" },
    { html: "&#60;b&#62;", text: "<b>" },
    { html: "&nbsp;&#x1F600;", text: "\u00A0😀" },
    { html: "&#8;&#0;", text: "\u0008\uFFFD" },
  ),
);

const junkAttributes = fc
  .array(fc.tuple(fc.constantFrom("class", "id", "style", "onclick", "title", "data-x"), text), {
    maxLength: 2,
  })
  .map((pairs) => pairs.map(([name, value]) => ` ${name}="${escapeAttribute(value)}"`).join(""));

const KEPT_TAGS = [
  ..."p strong em b i u s sub sup small mark blockquote ul ol li h2 h3 pre code".split(" "),
  ..."table thead tbody tr th td dl dt dd figure figcaption q cite abbr time".split(" "),
];
const GOOD_HREFS = [
  "https://example.com/a?b=1&c=2",
  "/relative/path",
  "other#frag",
  "?q=1",
  "//cdn.example/x",
  "HTTPS://EXAMPLE.COM/",
  "  https://padded.example/ ",
  "mailto:desk@news.example",
];
const BAD_HREFS = [
  "javascript:alert(1)",
  "JaVaScRiPt:alert(1)",
  "java\tscript:alert(1)",
  "data:text/html,x",
  "vbscript:x",
  "https://[bad",
  "",
  " ",
];
/** Start and end tags of elements that are unwrapped: dropped, their content kept. */
const UNWRAPPED: [string, string][] = [
  ["<span>", "</span>"],
  ['<div class="c">', "</div>"],
  ['<font color="red">', "</font>"],
  ["<SECTION>", "</section>"],
  ["<center>", "</center>"],
  ["<my-widget>", "</my-widget>"],
  ["<tidings-unwrap>", "</tidings-unwrap>"],
  ["<a>", "</a>"],
  ['<a name="top">', "</a>"],
  ...BAD_HREFS.map((href): [string, string] => [`<a href="${escapeAttribute(href)}">`, "</a>"]),
];
/** Void elements: kept, or dropped (nothing to keep). No `input`: it would close a `select`. */
const VOIDS = [
  "<br>",
  "<br/>",
  "<hr>",
  '<img src="/a.jpg" alt="A &amp; B">',
  '<img src="https://cdn.example/b.png">',
  "<img>",
  '<img src="javascript:alert(1)" alt="x">',
  '<img src="">',
  "<wbr>",
  '<embed src="x.swf">',
];
/** Raw-text elements, removed with their content; the content never contains `</`. */
const RAW_REMOVED = ["script", "style", "textarea", "title", "xmp"];
const rawContent = fc.string({
  unit: fc.constantFrom("a", " ", "<p>", "<b>x", "&amp;", '"', "'", "=", "\n"),
  maxLength: 8,
});
/** Removed with their content, which is parsed as markup. */
const PARSED_REMOVED = [
  ..."iframe object form noscript template svg math noframes applet frameset".split(" "),
];
/** Removed with their content; only text inside, since form controls close one another. */
const FORM_REMOVED = ["select", "button", "option"];

const { nodes } = fc.letrec<{ node: Fragment; nodes: Fragment }>((tie) => ({
  nodes: fc.array(tie("node"), { maxLength: 5, depthIdentifier: "tree" }).map((children) => ({
    html: children.map((child) => child.html).join(""),
    text: children.map((child) => child.text).join(""),
  })),
  node: fc.oneof(
    { maxDepth: 8, depthSize: "medium", depthIdentifier: "tree" },
    textNode,
    fc.constantFrom(...VOIDS).map((html) => ({ html, text: "" })),
    fc
      .record({
        tag: fc.constantFrom(...KEPT_TAGS),
        upper: fc.boolean(),
        attributes: junkAttributes,
        content: tie("nodes"),
      })
      .map(({ tag, upper, attributes, content }) => {
        const name = upper ? tag.toUpperCase() : tag;
        return { html: `<${name}${attributes}>${content.html}</${name}>`, text: content.text };
      }),
    fc
      .record({
        href: fc.constantFrom(...GOOD_HREFS),
        attributes: junkAttributes,
        content: tie("nodes"),
      })
      .map(({ href, attributes, content }) => ({
        html: `<a href="${escapeAttribute(href)}"${attributes}>${content.html}</a>`,
        text: content.text,
      })),
    fc
      .record({ tags: fc.constantFrom(...UNWRAPPED), content: tie("nodes") })
      .map(({ tags: [start, end], content }) => ({
        html: `${start}${content.html}${end}`,
        text: content.text,
      })),
    fc
      .record({ tag: fc.constantFrom(...RAW_REMOVED), content: rawContent })
      .map(({ tag, content }) => ({ html: `<${tag}>${content}</${tag}>`, text: "" })),
    fc
      .record({ tag: fc.constantFrom(...PARSED_REMOVED), content: tie("nodes") })
      .map(({ tag, content }) => ({ html: `<${tag}>${content.html}</${tag}>`, text: "" })),
    fc
      .record({ tag: fc.constantFrom(...FORM_REMOVED), content: text })
      .map(({ tag, content }) => ({ html: `<${tag}>${escapeText(content)}</${tag}>`, text: "" })),
  ),
}));

const ARTICLE_TAGS = new Set([
  ..."p br h2 h3 h4 h5 h6 blockquote ul ol li strong em b i u s sub sup small mark a img".split(
    " ",
  ),
  ..."figure figcaption table thead tbody tr th td pre code hr abbr cite q time dl dt dd".split(
    " ",
  ),
]);
const REPLY_TAGS = new Set([...ARTICLE_TAGS].filter((tag) => tag !== "img"));

/** The properties both profiles share; `extra` checks what is particular to one. */
function checkSanitised(
  sanitize: (html: string, baseUrl: string) => string,
  allowed: ReadonlySet<string>,
  input: Fragment,
  extra: (out: string) => void = () => {},
): void {
  const out = sanitize(input.html, BASE);
  const shape = shapeOf(out);
  // (1) balanced: every element closed explicitly and in order, no marker tag.
  expect(shape.problems).toEqual([]);
  expect(out).not.toMatch(/<\/?tidings-unwrap/);
  // (4) only allowed tags, no deeper than the limit.
  expect([...shape.tagNames].filter((tag) => !allowed.has(tag))).toEqual([]);
  expect(shape.depth).toBeLessThanOrEqual(NESTING_LIMIT);
  // (2) the input's text minus what was removed with its content, as a parser reads it; and
  // nothing the parser must repair (it would read another tree than the one written).
  const parsed = parse(out);
  expect(parsed.text).toBe(cleanText(input.text));
  expect(parsed.impliedCloses).toEqual([]);
  // (3) a fixed point.
  expect(sanitize(out, BASE)).toBe(out);
  extra(out);
}

const RUNS = { numRuns: 300 };

describe("sanitizeArticleHtml on random markup", () => {
  it("is balanced, keeps the text, is a fixed point, uses allowed tags only", () => {
    fc.assert(
      fc.property(nodes, (input) => checkSanitised(sanitizeArticleHtml, ARTICLE_TAGS, input)),
      RUNS,
    );
  });
});

describe("sanitizeReplyHtml on random markup", () => {
  it("is balanced, keeps the text, is a fixed point, has no images and marks every link", () => {
    fc.assert(
      fc.property(nodes, (input) =>
        checkSanitised(sanitizeReplyHtml, REPLY_TAGS, input, (out) => {
          const links = out.match(/<a [^>]*>/g) ?? [];
          expect(links.filter((link) => !link.includes(' rel="nofollow ugc"'))).toEqual([]);
        }),
      ),
      RUNS,
    );
  });
});

describe("both profiles on deeply nested markup", () => {
  /** A chain of kept and unwrapped elements, text before and after each level. */
  const chain = fc
    .array(
      fc.tuple(
        fc.oneof(
          fc.constantFrom(...KEPT_TAGS).map((tag): [string, string] => [`<${tag}>`, `</${tag}>`]),
          fc.constantFrom(...UNWRAPPED),
          fc.constant<[string, string]>(['<a href="/deep">', "</a>"]),
        ),
        textNode,
        textNode,
      ),
      { minLength: NESTING_LIMIT - 5, maxLength: NESTING_LIMIT * 3 },
    )
    .map((levels) => ({
      html:
        levels.map(([[start], before]) => start + before.html).join("") +
        levels
          .toReversed()
          .map(([[, end], , after]) => end + after.html)
          .join(""),
      text:
        levels.map(([, before]) => before.text).join("") +
        levels
          .toReversed()
          .map(([, , after]) => after.text)
          .join(""),
    }));

  it("keeps all text within the limit and stays a fixed point", () => {
    fc.assert(
      fc.property(chain, (input) => {
        checkSanitised(sanitizeArticleHtml, ARTICLE_TAGS, input);
        checkSanitised(sanitizeReplyHtml, REPLY_TAGS, input);
      }),
      { numRuns: 60 },
    );
  });
});
