import sanitizeHtml from "sanitize-html";

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

/**
 * A tag name that is never allowed: renaming an element to it makes sanitize-html drop the element
 * but keep its text (we use `disallowedTagsMode: "discard"`), i.e. it unwraps the element.
 */
const UNWRAP = "tidings-unwrap";

type Transformer = sanitizeHtml.Transformer;

/** Makes `attribute` absolute, or unwraps the element when the URL is required but unusable. */
function absoluteUrlTransformer(
  attribute: string,
  baseUrl: string,
  protocols: ReadonlySet<string>,
  required: boolean,
): Transformer {
  return (tagName, attribs) => {
    const resolved = resolveUrl(attribs[attribute], baseUrl, protocols);
    // Rebuilt in the original order, so already-clean markup comes out unchanged.
    const kept: sanitizeHtml.Attributes = {};
    for (const [name, value] of Object.entries(attribs)) {
      if (name !== attribute) kept[name] = value;
      else if (resolved !== null) kept[name] = resolved;
    }
    return { tagName: resolved === null && required ? UNWRAP : tagName, attribs: kept };
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

/**
 * Sanitises article markup down to news HTML. Every URL left in the result is absolute: relative
 * `href`/`src`/`cite` values are resolved against `baseUrl`; links whose URL cannot be resolved (or
 * use another scheme than http, https or mailto) are unwrapped, such images are removed.
 */
export function sanitizeArticleHtml(html: string, baseUrl: string): string {
  const sanitized = sanitizeHtml(cleanText(html), {
    allowedTags: ALLOWED_TAGS,
    allowedAttributes: ALLOWED_ATTRIBUTES,
    allowedSchemes: ["http", "https", "mailto"],
    allowedSchemesByTag: { img: ["http", "https"], blockquote: ["http", "https"] },
    allowedSchemesAppliedToAttributes: ["href", "src", "cite"],
    allowProtocolRelative: false,
    disallowedTagsMode: "discard",
    nonTextTags: DROP_WITH_CONTENT,
    transformTags: {
      a: absoluteUrlTransformer("href", baseUrl, LINK_PROTOCOLS, true),
      img: absoluteUrlTransformer("src", baseUrl, WEB_PROTOCOLS, true),
      blockquote: absoluteUrlTransformer("cite", baseUrl, WEB_PROTOCOLS, false),
    },
  });
  // Entities are decoded while parsing, so `&#8;` in the input becomes a raw control character in
  // the output: clean again.
  return cleanText(sanitized);
}

/** Elements that separate words when rendered; their tags become spaces in plain text. */
const BLOCK_BOUNDARY =
  /<\/?(?:address|article|aside|blockquote|br|dd|div|dl|dt|figcaption|figure|footer|h[1-6]|header|hr|li|main|nav|ol|p|pre|section|table|tbody|td|tfoot|th|thead|tr|ul)\b[^>]*>/gi;

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
 * content), entities decoded, whitespace collapsed to single spaces and trimmed.
 */
export function plainTextFromHtml(html: string): string {
  const spaced = cleanText(html).replace(BLOCK_BOUNDARY, " $& ");
  const text = sanitizeHtml(spaced, {
    allowedTags: [],
    allowedAttributes: {},
    disallowedTagsMode: "discard",
    nonTextTags: DROP_WITH_CONTENT,
  });
  return cleanText(decodeSanitizerEscapes(text)).replace(/\s+/g, " ").trim();
}
