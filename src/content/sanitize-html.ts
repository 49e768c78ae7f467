import sanitizeHtml from "sanitize-html";
import { nestingGuard } from "./nesting-guard.ts";

/**
 * Characters that may never reach storage or a feed:
 * - C0 controls except tab, LF and CR (XML 1.0 forbids them; U+0000 truncates C strings);
 * - U+FFFE and U+FFFF, noncharacters that XML 1.0 also forbids.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
const FORBIDDEN_CHARACTERS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g;

/**
 * A UTF-16 surrogate that is not part of a pair. With the `u` flag a well-formed pair is one code
 * point outside `\p{Cs}`, so only lone halves match.
 */
const LONE_SURROGATE = /\p{Cs}/gu;

/**
 * The one normalisation every text field gets: drops forbidden characters and replaces lone
 * surrogates with U+FFFD (as a UTF-8 encoder would). Nothing else changes: no trimming, no
 * whitespace folding, no Unicode normalisation, so clean text round-trips through every feed format.
 */
export function cleanText(text: string): string {
  return text.replace(FORBIDDEN_CHARACTERS, "").replace(LONE_SURROGATE, "\uFFFD");
}

/** Schemes a link may use once resolved; everything else (javascript:, data:, vbscript:, …) goes. */
const LINK_PROTOCOLS: ReadonlySet<string> = new Set(["http:", "https:", "mailto:"]);
/** Images and citations must be fetchable web resources. */
const WEB_PROTOCOLS: ReadonlySet<string> = new Set(["http:", "https:"]);

/**
 * Resolves `value` against `baseUrl` with the WHATWG URL parser, which also strips the tabs and
 * newlines that tricks such as `java\tscript:` rely on. Returns `null` when the result is not an
 * absolute URL with an allowed scheme.
 */
function resolveUrl(
  value: string | undefined,
  baseUrl: string,
  protocols: ReadonlySet<string>,
): string | null {
  if (value === undefined) return null;
  const trimmed = value.trim();
  if (trimmed === "") return null;
  try {
    const url = new URL(trimmed, baseUrl);
    return protocols.has(url.protocol) ? url.href : null;
  } catch {
    return null;
  }
}

type Transformer = sanitizeHtml.Transformer;

/**
 * Makes `attribute` absolute, or removes it when unusable; `set` adds or overrides attributes.
 *
 * Elements that need the URL (`a`, `img`) are unwrapped later, in `finishMarkup`, when it is gone.
 * Renaming them here to a disallowed tag would be simpler, but sanitize-html does not forget a
 * rename when it discards the renamed element, and gives that name to the next element that closes
 * at the same depth: `<a name="x">x</a> <a href="…">y</a>` came out as `<a href="…">y</tidings-unwrap>`.
 * Its `exclusiveFilter` can unwrap too, but cuts the tag out of the whole output string each time:
 * 1 MiB of `<a>x</a>` takes about a minute.
 */
function urlTransformer(
  attribute: string,
  baseUrl: string,
  protocols: ReadonlySet<string>,
  set: Readonly<Record<string, string>> = {},
): Transformer {
  return (tagName, attribs) => {
    const resolved = resolveUrl(attribs[attribute], baseUrl, protocols);
    // Rebuilt in the original order, so already-clean markup comes out unchanged.
    const kept: sanitizeHtml.Attributes = {};
    for (const [name, value] of Object.entries(attribs)) {
      if (name !== attribute) kept[name] = value;
      else if (resolved !== null) kept[name] = resolved;
    }
    return { tagName, attribs: Object.assign(kept, set) };
  };
}

const ALLOWED_TAGS = [
  "p",
  "br",
  "h2",
  "h3",
  "h4",
  "h5",
  "h6",
  "blockquote",
  "ul",
  "ol",
  "li",
  "strong",
  "em",
  "b",
  "i",
  "u",
  "s",
  "sub",
  "sup",
  "small",
  "mark",
  "a",
  "img",
  "figure",
  "figcaption",
  "table",
  "thead",
  "tbody",
  "tr",
  "th",
  "td",
  "pre",
  "code",
  "hr",
  "abbr",
  "cite",
  "q",
  "time",
  "dl",
  "dt",
  "dd",
];

const ALLOWED_ATTRIBUTES: Record<string, string[]> = {
  a: ["href", "title", "rel"],
  img: ["src", "alt", "title", "width", "height"],
  blockquote: ["cite"],
  th: ["colspan", "rowspan", "scope"],
  td: ["colspan", "rowspan", "scope"],
  abbr: ["title"],
  time: ["datetime"],
};

/**
 * Disallowed elements whose *content* goes too. sanitize-html's default list keeps the text of
 * `<iframe>`, `<object>` and `<form>` fallbacks, which is never article prose.
 */
const DROP_WITH_CONTENT = [
  "script",
  "style",
  "textarea",
  "option",
  "xmp",
  "noscript",
  "template",
  "iframe",
  "frame",
  "frameset",
  "noframes",
  "object",
  "embed",
  "applet",
  "form",
  "select",
  "button",
  "svg",
  "math",
  "head",
  "title",
];

const DROP_WITH_CONTENT_SET: ReadonlySet<string> = new Set(DROP_WITH_CONTENT);

/**
 * How many elements may enclose an element; deeper ones are dropped and their text kept, by
 * sanitize-html's `nestingLimit` (output) and by `nestingGuard` (parser work, which nestingLimit
 * alone leaves quadratic in the depth).
 *
 * The count includes elements that are unwrapped (CMS wrapper `div`s and `span`s), so it must leave
 * room for markup soup: a story paragraph sits 2-4 deep (`blockquote > p > a > strong`), a cell of
 * a nested table or list about 8, a long fediverse quote chain perhaps 15, and page-builder exports
 * wrap everything in 10-20 `div`s. Blink's HTML parser stops nesting at 512, so 64 drops
 * nothing a reader would see while keeping the parser's open-element stack tiny.
 */
export const NESTING_LIMIT = 64;

/** What varies between the article and reply profiles. */
interface Profile {
  readonly allowedTags: readonly string[];
  transformTags(baseUrl: string): Record<string, Transformer>;
}

const ARTICLE_PROFILE: Profile = {
  allowedTags: ALLOWED_TAGS,
  transformTags: (baseUrl) => ({
    a: urlTransformer("href", baseUrl, LINK_PROTOCOLS),
    img: urlTransformer("src", baseUrl, WEB_PROTOCOLS),
    blockquote: urlTransformer("cite", baseUrl, WEB_PROTOCOLS),
  }),
};

/**
 * Replies come from strangers: no images (they arrive without alt text, and would let any account
 * place pictures and trackers on our pages), and links marked as user content that earns no
 * ranking (`rel="nofollow ugc"`, replacing whatever `rel` the sender chose).
 */
const REPLY_PROFILE: Profile = {
  allowedTags: ALLOWED_TAGS.filter((tag) => tag !== "img"),
  transformTags: (baseUrl) => ({
    a: urlTransformer("href", baseUrl, LINK_PROTOCOLS, { rel: "nofollow ugc" }),
    blockquote: urlTransformer("cite", baseUrl, WEB_PROTOCOLS),
  }),
};

function sanitizeWith(profile: Profile, html: string, baseUrl: string): string {
  const sanitized = sanitizeHtml(cleanText(html), {
    allowedTags: [...profile.allowedTags],
    allowedAttributes: ALLOWED_ATTRIBUTES,
    allowedSchemes: ["http", "https", "mailto"],
    allowedSchemesByTag: { img: ["http", "https"], blockquote: ["http", "https"] },
    allowedSchemesAppliedToAttributes: ["href", "src", "cite"],
    allowProtocolRelative: false,
    disallowedTagsMode: "discard",
    nonTextTags: DROP_WITH_CONTENT,
    nestingLimit: NESTING_LIMIT,
    ...nestingGuard(NESTING_LIMIT, DROP_WITH_CONTENT_SET),
    transformTags: profile.transformTags(baseUrl),
  });
  // Entities are decoded while parsing, so `&#8;` in the input becomes a raw control character in
  // the output: clean again.
  return cleanText(finishMarkup(sanitized));
}

/**
 * Sanitises article markup down to news HTML. Every URL left in the result is absolute: relative
 * `href`/`src`/`cite` values are resolved against `baseUrl`; links whose URL cannot be resolved (or
 * use another scheme than http, https or mailto) are unwrapped, such images are removed. Elements
 * nested deeper than `NESTING_LIMIT` are dropped, their text kept. Sanitising the result again
 * changes nothing.
 */
export function sanitizeArticleHtml(html: string, baseUrl: string): string {
  return sanitizeWith(ARTICLE_PROFILE, html, baseUrl);
}

/**
 * Sanitises a fediverse reply: as `sanitizeArticleHtml`, but images are removed and every link gets
 * `rel="nofollow ugc"`.
 */
export function sanitizeReplyHtml(html: string, baseUrl: string): string {
  return sanitizeWith(REPLY_PROFILE, html, baseUrl);
}

/** Elements kept only while their URL attribute survives; otherwise unwrapped (`img`: removed). */
const REQUIRED_ATTRIBUTE: ReadonlyMap<string, string> = new Map([
  ["a", "href"],
  ["img", "src"],
]);

const CLOSES_P: ReadonlySet<string> = new Set(["p"]);
const CLOSES_DT_DD: ReadonlySet<string> = new Set(["dt", "dd"]);

/**
 * For an allowed tag, the parents it closes when it opens straight inside them: htmlparser2's
 * `openImpliesClose` (which sanitize-html parses with) restricted to `ALLOWED_TAGS`; browsers close
 * these too. A unit test puts every allowed tag in every allowed parent and checks that htmlparser2
 * closes nothing in the output, so a change in htmlparser2's rules shows up there.
 */
const IMPLIED_CLOSE: ReadonlyMap<string, ReadonlySet<string>> = new Map([
  ...["p", "h2", "h3", "h4", "h5", "h6"].map((tag) => [tag, CLOSES_P] as const),
  ...["blockquote", "dl", "figcaption", "figure", "hr", "ol", "pre", "table", "ul"].map(
    (tag) => [tag, CLOSES_P] as const,
  ),
  ["li", new Set(["li"])],
  ["dt", CLOSES_DT_DD],
  ["dd", CLOSES_DT_DD],
  ["tr", new Set(["tr", "th", "td"])],
  ["th", new Set(["th"])],
  ["td", new Set(["thead", "th", "td"])],
  ["tbody", new Set(["thead", "tbody"])],
]);

/**
 * One tag of sanitize-html's output. That output has a fixed shape: text has `<` and `>` escaped,
 * attribute values are double-quoted with `"`, `<` and `>` escaped, and void elements end in ` />`.
 * So every `<` starts a tag and the next `>` ends it.
 */
const OUTPUT_TAG = /<(\/?)([a-z][a-z0-9]*)([^>]*)>/g;

/** Whether a tag's attribute string (as sanitize-html writes it) has attribute `name`. */
function hasAttribute(attributes: string, name: string): boolean {
  // Values cannot contain `"`, so dropping them leaves only names (and a void element's `/`).
  return attributes
    .replace(/="[^"]*"/g, "")
    .split(/[\s/]+/)
    .includes(name);
}

interface OutputElement {
  readonly name: string;
  /** Written and not yet closed. */
  open: boolean;
}

/**
 * The last step over sanitize-html's (balanced) output, in one linear pass:
 * - unwraps links left without a usable `href` and removes images left without a usable `src`;
 * - closes an element before a child that would close it when the output is parsed again: once a
 *   wrapper is unwrapped, `<p><div><ul>` becomes `<p><ul>`, which any HTML parser reads as
 *   `<p></p><ul>`. Closing the `p` here makes the result read back as written, so sanitising it
 *   again changes nothing.
 */
function finishMarkup(html: string): string {
  const parts: string[] = [];
  /** Every element sanitize-html opened and has not closed yet, innermost last. */
  const elements: (OutputElement | null)[] = [];
  /** Those still open in our output, innermost last. */
  const open: OutputElement[] = [];
  let textStart = 0;
  for (const match of html.matchAll(OUTPUT_TAG)) {
    const [tag, slash, name = "", attributes = ""] = match;
    parts.push(html.slice(textStart, match.index));
    textStart = match.index + tag.length;
    if (slash === "/") {
      const element = elements.pop();
      if (element?.open) {
        element.open = false;
        open.pop();
        parts.push(tag);
      }
      continue;
    }
    const required = REQUIRED_ATTRIBUTE.get(name);
    const kept = required === undefined || hasAttribute(attributes, required);
    if (kept) {
      const closes = IMPLIED_CLOSE.get(name);
      for (let parent = open.at(-1); parent && closes?.has(parent.name); parent = open.at(-1)) {
        parts.push(`</${parent.name}>`);
        parent.open = false;
        open.pop();
      }
      parts.push(tag);
    }
    if (attributes.endsWith("/")) continue; // void: no end tag follows
    if (kept) {
      const element = { name, open: true };
      elements.push(element);
      open.push(element);
    } else {
      elements.push(null);
    }
  }
  parts.push(html.slice(textStart));
  return parts.join("");
}

/** Elements that separate words when rendered; their tags become spaces in plain text. */
const BLOCK_ELEMENTS = [
  "address",
  "article",
  "aside",
  "blockquote",
  "br",
  "dd",
  "div",
  "dl",
  "dt",
  "figcaption",
  "figure",
  "footer",
  "h1",
  "h2",
  "h3",
  "h4",
  "h5",
  "h6",
  "header",
  "hr",
  "li",
  "main",
  "nav",
  "ol",
  "p",
  "pre",
  "section",
  "table",
  "tbody",
  "td",
  "tfoot",
  "th",
  "thead",
  "tr",
  "ul",
];

/** The four escapes sanitize-html applies to text; `&amp;` must be undone last. */
function decodeSanitizerEscapes(text: string): string {
  return text
    .replaceAll("&lt;", "<")
    .replaceAll("&gt;", ">")
    .replaceAll("&quot;", '"')
    .replaceAll("&amp;", "&");
}

/**
 * The text of an HTML fragment for summaries: tags removed (script and the like with their
 * content), entities decoded, whitespace collapsed to single spaces and trimmed. Block elements
 * separate words; beyond `NESTING_LIMIT` they no longer do (their text is kept).
 */
export function plainTextFromHtml(html: string): string {
  return blockTextRuns(html).join(" ");
}

/**
 * The text of an HTML fragment one block at a time (paragraphs, headings, list items…), each
 * as `plainTextFromHtml` cleans it, empty blocks left out: what a readable diff compares.
 */
export function plainParagraphsFromHtml(html: string): string[] {
  return blockTextRuns(html);
}

/** The text between block boundaries, each run cleaned and collapsed, empty runs dropped. */
function blockTextRuns(html: string): string[] {
  const blocksOnly = sanitizeHtml(cleanText(html), {
    allowedTags: BLOCK_ELEMENTS,
    allowedAttributes: {},
    disallowedTagsMode: "discard",
    nonTextTags: DROP_WITH_CONTENT,
    nestingLimit: NESTING_LIMIT,
    ...nestingGuard(NESTING_LIMIT, DROP_WITH_CONTENT_SET),
  });
  // Only the block tags kept above remain, without attributes, and text has `<` escaped: each
  // `<…>` is one of them. (Finding them in the input instead, with a pattern such as
  // `<\/?p\b[^>]*>`, rescans the rest of the input at every `<p` lacking a `>`: quadratic.)
  return blocksOnly
    .split(/<[^>]*>/g)
    .map((run) => cleanText(decodeSanitizerEscapes(run)).replace(/\s+/g, " ").trim())
    .filter((run) => run !== "");
}
