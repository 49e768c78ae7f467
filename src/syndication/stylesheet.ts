/** Served by the app (src/http/pages.routes.ts); root-relative, so they work behind any host. */
export const FEED_STYLESHEET_PATH = "/assets/feed.xsl";
export const FEED_PREVIEW_SCRIPT_PATH = "/assets/feed-preview.js";

const DECLARATION = /^<\?xml [^?]*\?>\n?/;

/**
 * Makes an RSS or Atom document readable in a browser, leaving it the same for feed readers:
 *
 * - `<?xml-stylesheet?>` after the XML declaration: browsers with XSLT render the feed through
 *   it; feed readers ignore processing instructions.
 * - An XHTML `<script>` as the last child of `container` (RSS `channel`, Atom `feed`), the way
 *   XSLT polyfills are hooked in: browsers that dropped XSLT run it and it builds the same page.
 *   An element in a foreign namespace is an allowed extension in both formats, and readers skip
 *   it; browsers with XSLT replace the document before they reach it.
 *
 * JSON Feed has no such mechanism.
 */
export function forBrowsers(xml: string, container: "channel" | "feed"): string {
  const declaration = DECLARATION.exec(xml);
  if (declaration === null) throw new Error("feed output has no XML declaration");
  const close = xml.lastIndexOf(`</${container}>`);
  if (close < 0) throw new Error(`feed output has no </${container}>`);
  const instruction = `<?xml-stylesheet type="text/xsl" href="${FEED_STYLESHEET_PATH}"?>\n`;
  const script = `<script xmlns="http://www.w3.org/1999/xhtml" src="${FEED_PREVIEW_SCRIPT_PATH}" defer="defer"></script>`;
  const indent = /\n([ \t]*)$/.exec(xml.slice(0, close))?.[1] ?? "";
  const head = declaration[0].endsWith("\n") ? declaration[0] : `${declaration[0]}\n`;
  return `${head}${instruction}${xml.slice(declaration[0].length, close)}    ${script}\n${indent}${xml.slice(close)}`;
}
