import { describe, expect, it } from "vitest";
import {
  cleanText,
  NESTING_LIMIT,
  plainTextFromHtml,
  sanitizeArticleHtml,
  sanitizeReplyHtml,
} from "../../src/content/sanitize-html.ts";
import { parse, shapeOf } from "../support/html-shape.ts";

const BASE = "https://news.example/articles/abc";

function sanitize(html: string): string {
  return sanitizeArticleHtml(html, BASE);
}

describe("sanitizeArticleHtml", () => {
  it("removes script, style, iframe, object, embed and form elements with their content", () => {
    const html = [
      "<p>before</p>",
      "<script>alert(1)</script>",
      "<style>p { color: red }</style>",
      '<iframe src="https://evil.example/">fallback text</iframe>',
      '<object data="x.swf"><param name="a" value="b">object fallback</object>',
      '<embed src="x.swf">',
      '<form action="/steal"><p>form text</p><input name="q"><button>Go</button></form>',
      "<p>after</p>",
    ].join("");
    expect(sanitize(html)).toBe("<p>before</p><p>after</p>");
  });

  it("removes event handlers and style attributes", () => {
    const html =
      '<p onclick="alert(1)" style="color:red">a <img src="/x.jpg" alt="x" onerror="alert(2)" /></p>';
    expect(sanitize(html)).toBe('<p>a <img src="https://news.example/x.jpg" alt="x" /></p>');
  });

  it.each([
    "javascript:alert(1)",
    "JavaScript:alert(1)",
    " javascript:alert(1)",
    "java\tscript:alert(1)",
    "&#106;avascript:alert(1)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "vbscript:msgbox(1)",
  ])("unwraps links to %j and drops such images", (url) => {
    const html = `<p><a href="${url}">link</a><img src="${url}" alt="x" /></p>`;
    expect(sanitize(html)).toBe("<p>link</p>");
  });

  it("keeps news markup and its allowed attributes", () => {
    const html = [
      "<h2>Heading</h2><h6>Small heading</h6>",
      '<p>Text with <strong>strong</strong>, <em>em</em>, <b>b</b>, <i>i</i>, <u>u</u>, <s>s</s>, H<sub>2</sub>O, x<sup>2</sup>, <small>small</small>, <mark>mark</mark>, <abbr title="North Atlantic Treaty Organization">NATO</abbr>, <cite>The Times</cite>, <q>quoted</q>, <time datetime="2016-07-20">20 July</time>, <code>code</code>.<br /></p>',
      '<blockquote cite="https://source.example/speech"><p>Quote</p></blockquote>',
      "<ul><li>one</li></ul><ol><li>two</li></ol>",
      "<dl><dt>term</dt><dd>definition</dd></dl>",
      '<figure><img src="https://cdn.example/a.jpg" alt="A" title="T" width="640" height="480" /><figcaption>Caption</figcaption></figure>',
      '<table><thead><tr><th scope="col" colspan="2">H</th></tr></thead><tbody><tr><td rowspan="2">1</td><td>2</td></tr></tbody></table>',
      "<pre>pre  formatted</pre><hr />",
      '<p><a href="https://example.com/" title="Example" rel="nofollow">link</a></p>',
    ].join("");
    expect(sanitize(html)).toBe(html);
  });

  it("drops attributes and tags outside the allow-list but keeps their text", () => {
    const html =
      '<div class="x" id="y"><span data-x="1">text</span> <a href="https://e.example/" target="_blank">l</a></div>';
    expect(sanitize(html)).toBe('text <a href="https://e.example/">l</a>');
  });

  it("resolves relative URLs against the base URL", () => {
    const html = [
      '<a href="/world">root-relative</a>',
      '<a href="other">relative</a>',
      '<a href="#top">fragment</a>',
      '<a href="//cdn.example/x">protocol-relative</a>',
      '<img src="../media/a.jpg" alt="a" />',
      '<blockquote cite="/sources/1">q</blockquote>',
    ].join("");
    expect(sanitize(html)).toBe(
      [
        '<a href="https://news.example/world">root-relative</a>',
        '<a href="https://news.example/articles/other">relative</a>',
        '<a href="https://news.example/articles/abc#top">fragment</a>',
        '<a href="https://cdn.example/x">protocol-relative</a>',
        '<img src="https://news.example/media/a.jpg" alt="a" />',
        '<blockquote cite="https://news.example/sources/1">q</blockquote>',
      ].join(""),
    );
  });

  it("keeps mailto links but not mailto images", () => {
    expect(
      sanitize('<a href="mailto:desk@news.example">mail</a><img src="mailto:x@y" alt="" />'),
    ).toBe('<a href="mailto:desk@news.example">mail</a>');
  });

  it("unwraps links whose URL cannot be resolved", () => {
    expect(sanitize('<p><a href="https://[bad">broken</a> <a>no href</a></p>')).toBe(
      "<p>broken no href</p>",
    );
  });

  it("removes a blockquote's unusable cite but keeps the quote", () => {
    expect(sanitize('<blockquote cite="javascript:x">q</blockquote>')).toBe(
      "<blockquote>q</blockquote>",
    );
  });

  it("cleans control characters and lone surrogates, including ones written as entities", () => {
    expect(sanitize("<p>a\u0008b\u0000c\uD800d&#8;e\tf</p>")).toBe("<p>abc\uFFFDde\tf</p>");
  });
});

describe("sanitizeArticleHtml: unwrapped links and images", () => {
  it("closes the link after an unwrapped anchor with </a> (issue 10, item 4)", () => {
    expect(
      sanitizeArticleHtml(
        '<p><a name="top">Top</a> and <a href="https://x.example/">a source</a>.</p>',
        "https://x.example/",
      ),
    ).toBe('<p>Top and <a href="https://x.example/">a source</a>.</p>');
  });

  const unwrapped: [string, string, string][] = [
    ["an anchor", '<a name="top">Top</a>', "Top"],
    ["a link without href", "<a>no href</a>", "no href"],
    ["a javascript: link", '<a href="javascript:alert(1)">js</a>', "js"],
    ["a link to an unparsable URL", '<a href="https://[bad">bad</a>', "bad"],
    ["a link with an empty href", '<a href="" title="t">empty</a>', "empty"],
    ["an image without src", '<img alt="x">', ""],
    ["an image with a javascript: src", '<img src="javascript:x" alt="x">', ""],
    ["an image with an empty src", '<img src="" alt="x">', ""],
    ["an unknown element", "<tidings-unwrap>literal</tidings-unwrap>", "literal"],
  ];
  const kept: [string, string, string][] = [
    ["a link", '<a href="/b">b</a>', '<a href="https://news.example/b">b</a>'],
    ["strong text", "<strong>s</strong>", "<strong>s</strong>"],
    [
      "a nested list",
      "<ul><li>a<ul><li>b</li></ul></li></ul>",
      "<ul><li>a<ul><li>b</li></ul></li></ul>",
    ],
    [
      "a table",
      '<table><tbody><tr><td>1</td><td><a href="/c">c</a></td></tr></tbody></table>',
      '<table><tbody><tr><td>1</td><td><a href="https://news.example/c">c</a></td></tr></tbody></table>',
    ],
  ];
  const pairs = unwrapped.flatMap(([what, html, text]) =>
    kept.map(([keptWhat, keptHtml, keptOut]) => ({
      what,
      html,
      text,
      keptWhat,
      keptHtml,
      keptOut,
    })),
  );

  it.each(pairs)("$what followed by $keptWhat", ({ html, text, keptHtml, keptOut }) => {
    const out = sanitize(`<blockquote>${html} ${keptHtml}</blockquote><p>after</p>`);
    expect(out).toBe(`<blockquote>${text} ${keptOut}</blockquote><p>after</p>`);
    expect(shapeOf(out).problems).toEqual([]);
  });

  const wrappers: [string, string, string][] = [
    ["an anchor", '<a name="top">', "</a>"],
    ["a link without href", "<a>", "</a>"],
    ["a javascript: link", '<a href="javascript:alert(1)">', "</a>"],
    ["an unknown element", "<tidings-unwrap>", "</tidings-unwrap>"],
    ["a span", "<span>", "</span>"],
  ];

  it.each(wrappers)("unwraps %s around kept elements and inside one", (_, open, close) => {
    const html = `<ol><li>${open}<em>a</em> <a href="/b">b</a>${close}<strong>${open}c${close}</strong></li><li>2</li></ol>`;
    expect(sanitize(html)).toBe(
      '<ol><li><em>a</em> <a href="https://news.example/b">b</a><strong>c</strong></li><li>2</li></ol>',
    );
  });

  it("unwraps the outer of two nested links and keeps the inner one", () => {
    expect(sanitize('<p><a name="x">a <a href="/y">y</a> b</a> c</p>')).toBe(
      '<p>a <a href="https://news.example/y">y</a> b c</p>',
    );
  });

  it("decides on the URL only: a link keeps its other attributes, an unwrapped one loses them", () => {
    expect(
      sanitize('<a title="a href=b" rel="me">x</a> <a href="/" title="t" rel="me">y</a>'),
    ).toBe('x <a href="https://news.example/" title="t" rel="me">y</a>');
  });

  it("never writes an element that a parser would close early", () => {
    // Unwrapping the span leaves the list (and the rule) straight inside the paragraph; any HTML
    // parser would end the paragraph there, so the sanitiser does it itself.
    const out = sanitize("<p>a<span><ul><li>x</li></ul>b<hr>c</span>d</p>");
    expect(out).toBe("<p>a</p><ul><li>x</li></ul>b<hr />cd");
    expect(sanitize(out)).toBe(out);
  });

  // Every pair of allowed tags, the child behind an unwrapped <span>: whatever implied closes
  // htmlparser2 applies (it is what sanitize-html parses with), the output must not need any.
  const ALLOWED = [
    ..."p br h2 h3 h4 h5 h6 blockquote ul ol li strong em b i u s sub sup small mark".split(" "),
    ..."a img figure figcaption table thead tbody tr th td pre code hr abbr cite q time".split(" "),
    ..."dl dt dd".split(" "),
  ];
  const VOID = new Set(["br", "hr", "img"]);
  const element = (tag: string, content: string) => {
    const attributes = tag === "a" ? ' href="/x"' : tag === "img" ? ' src="/i.png" alt=""' : "";
    return VOID.has(tag) ? `<${tag}${attributes}>` : `<${tag}${attributes}>${content}</${tag}>`;
  };

  it.each(ALLOWED.filter((tag) => !VOID.has(tag)))(
    "writes markup that reads back unchanged for any allowed child inside <%s>",
    (parent) => {
      for (const child of ALLOWED) {
        const out = sanitize(element(parent, `a<span>${element(child, "b")}c</span>d`));
        expect({ child, impliedCloses: parse(out).impliedCloses }).toEqual({
          child,
          impliedCloses: [],
        });
        expect(shapeOf(out).problems).toEqual([]);
        expect(sanitize(out)).toBe(out);
      }
    },
  );
});

describe("sanitizeReplyHtml", () => {
  const REPLY = "https://social.example/users/alice/statuses/1";
  const reply = (html: string) => sanitizeReplyHtml(html, REPLY);

  it("keeps a Mastodon reply's text and mention link, marked as user content", () => {
    const html =
      '<p><span class="h-card" translate="no"><a href="https://news.example/@desk" class="u-url mention">@<span>desk</span></a></span> Thanks &amp; <a href="https://source.example/doc" rel="nofollow noopener" target="_blank">the source</a></p>';
    expect(reply(html)).toBe(
      '<p><a href="https://news.example/@desk" rel="nofollow ugc">@desk</a> Thanks &amp; <a href="https://source.example/doc" rel="nofollow ugc">the source</a></p>',
    );
  });

  it("removes images, with or without a usable src", () => {
    expect(reply('<p>look <img src="/a.jpg" alt="a"> here<img src="javascript:x"></p>')).toBe(
      "<p>look  here</p>",
    );
  });

  it("unwraps unusable links like articles do, and closes the next link", () => {
    expect(reply('<p><a name="top">Top</a> and <a href="/s">a source</a>.</p>')).toBe(
      '<p>Top and <a href="https://social.example/s" rel="nofollow ugc">a source</a>.</p>',
    );
  });

  it("applies the nesting limit", () => {
    const out = reply(`${"<blockquote>".repeat(NESTING_LIMIT + 5)}quoted`);
    expect(shapeOf(out).depth).toBe(NESTING_LIMIT);
    expect(parse(out).text).toBe("quoted");
  });

  it("gives output that sanitises to itself", () => {
    const html =
      '<p>a <a href="/x" rel="me">x</a><img src="/i.png"><span><ul><li><a>y</a></li></ul></span></p>';
    const out = reply(html);
    expect(out).toBe(
      '<p>a <a href="https://social.example/x" rel="nofollow ugc">x</a></p><ul><li>y</li></ul>',
    );
    expect(reply(out)).toBe(out);
  });
});

describe("cleanText", () => {
  it("removes C0 controls except tab, LF and CR", () => {
    const c0 = Array.from({ length: 32 }, (_, code) => String.fromCharCode(code)).join("");
    expect(cleanText(`a${c0}b`)).toBe("a\t\n\rb");
  });

  it("replaces unpaired surrogates with U+FFFD and keeps pairs", () => {
    expect(cleanText("x\uD800y\uDC00z\uD83D\uDE00\uDE00\uD83D")).toBe(
      "x\uFFFDy\uFFFDz\u{1F600}\uFFFD\uFFFD",
    );
  });

  it("removes the noncharacters U+FFFE and U+FFFF", () => {
    expect(cleanText("a\uFFFEb\uFFFFc")).toBe("abc");
  });

  it("leaves everything else alone: whitespace, DEL, C1 controls, markup-like text", () => {
    const text = "  <b>&amp;</b>\u007F\u0085\u00A0 \u2028 ]]> ";
    expect(cleanText(text)).toBe(text);
  });
});

describe("plainTextFromHtml", () => {
  it("strips tags, decodes entities and collapses whitespace", () => {
    expect(
      plainTextFromHtml("<p>Tom &amp; Jerry&nbsp;&lt;3 &quot;cats&quot;</p>\n\n<p>  Two </p>"),
    ).toBe('Tom & Jerry <3 "cats" Two'); // &nbsp; is U+00A0: whitespace, so folded to a space
  });

  it("separates block elements and keeps inline ones together", () => {
    expect(
      plainTextFromHtml("<h2>Title</h2><p>One<br>two <b>bo</b>ld</p><ul><li>a</li><li>b</li></ul>"),
    ).toBe("Title One two bold a b");
  });

  it("drops the content of script and style", () => {
    expect(
      plainTextFromHtml("<p>a</p><script>var x = '<p>';</script><style>p{}</style><p>b</p>"),
    ).toBe("a b");
  });

  it("cleans control characters", () => {
    expect(plainTextFromHtml("<p>a&#8;\u0001b\uD800</p>")).toBe("ab\uFFFD");
  });
});
