/** Served by the app (src/http/pages.routes.ts); root-relative, so they work behind any host. */
export const FEED_STYLESHEET_PATH = "/assets/feed.xsl";
export const FEED_PREVIEW_SCRIPT_PATH = "/assets/feed-preview.js";

const DECLARATION = /^<\?xml [^?]*\?>\n?/;

/**
 * `<?xml-stylesheet?>` after the XML declaration of an RSS or Atom document: browsers with XSLT
 * render the feed through it; feed readers and validators ignore processing instructions, so
 * every variant carries it.
 */
export function withStylesheet(xml: string): string {
  const declaration = DECLARATION.exec(xml);
  if (declaration === null) throw new Error("feed output has no XML declaration");
  const instruction = `<?xml-stylesheet type="text/xsl" href="${FEED_STYLESHEET_PATH}"?>\n`;
  const head = declaration[0].endsWith("\n") ? declaration[0] : `${declaration[0]}\n`;
  return `${head}${instruction}${xml.slice(declaration[0].length)}`;
}

/**
 * The variant of a (finished) RSS or Atom document served to browsers (`Accept: text/html`): an
 * XHTML `<script>` as the last child of `container` (RSS `channel`, Atom `feed`), the way XSLT
 * polyfills are hooked in. Browsers that dropped XSLT run it and it builds the same page as the
 * stylesheet; browsers with XSLT replace the document before they reach it.
 *
 * Only browsers get it: the W3C Feed Validator warns "Misplaced XHTML content" about it, and feed
 * readers have no use for it. Every character of `xml` outside markup is escaped, so the last
 * `</container>` is the root's own.
 */
export function withPreviewScript(xml: string, container: "channel" | "feed"): string {
  const close = xml.lastIndexOf(`</${container}>`);
  if (close < 0) throw new Error(`feed output has no </${container}>`);
  const script = `<script xmlns="http://www.w3.org/1999/xhtml" src="${FEED_PREVIEW_SCRIPT_PATH}" defer="defer"></script>`;
  const indent = /\n([ \t]*)$/.exec(xml.slice(0, close))?.[1] ?? "";
  return `${xml.slice(0, close)}    ${script}\n${indent}${xml.slice(close)}`;
}
