import { plainTextFromHtml, sanitizeReplyHtml } from "./sanitize-html.ts";

/**
 * Largest reply kept as HTML. Mastodon posts are 500 characters, Misskey's 3,000, Pleroma's and
 * GoToSocial's 5,000: 16 KiB of markup holds any of them with room for links and mentions.
 */
export const REPLY_MAX_BYTES = 16 * 1024;
/** What a longer reply is cut to, in characters of plain text; the page links the original. */
export const REPLY_SHORTENED_CHARACTERS = 2_000;

/**
 * A reply from the fediverse as it is stored and then shown as is: sanitised once on the way
 * in (no images, links marked `nofollow ugc`, nesting bounded), and, past REPLY_MAX_BYTES,
 * shortened to a paragraph of its text. Pages never sanitise it again.
 */
export function storedReplyHtml(contentHtml: string, baseUrl: string): string {
  const sanitized = sanitizeReplyHtml(contentHtml, baseUrl);
  if (new TextEncoder().encode(sanitized).byteLength <= REPLY_MAX_BYTES) return sanitized;
  const codePoints = Array.from(plainTextFromHtml(sanitized));
  const text = codePoints.slice(0, REPLY_SHORTENED_CHARACTERS).join("").trimEnd();
  return `<p>${escapeText(text)}${codePoints.length > REPLY_SHORTENED_CHARACTERS ? "…" : ""}</p>`;
}

function escapeText(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");
}
