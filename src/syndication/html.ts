import { cleanText, plainTextFromHtml } from "../content/sanitize-html.ts";
import { type Correction, newestCorrections } from "../domain/article.ts";

const HTML_ESCAPES: Readonly<Record<string, string>> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
};

/** Plain text as HTML text. */
export function escapeHtml(text: string): string {
  return cleanText(text).replace(/[&<>]/g, (c) => HTML_ESCAPES[c] ?? c);
}

/** Plain text as a double-quoted HTML attribute value. */
export function escapeHtmlAttribute(text: string): string {
  return cleanText(text).replace(/[&<>"]/g, (c) => HTML_ESCAPES[c] ?? c);
}

/** "2016-07-20 09:01 UTC": a time in feeds and posts, the same for every reader. */
export function utcMinute(date: Date): string {
  return `${date.toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

/**
 * An article's corrections as they open its content in feeds and on the fediverse, newest
 * first: "Correction (2016-07-20 09:30 UTC): …". Empty without corrections.
 */
export function correctionsHtml(corrections: readonly Correction[] | undefined): string {
  return newestCorrections({ corrections })
    .map(
      (correction) =>
        `<p><strong>Correction (${utcMinute(correction.correctedAt)}):</strong> ${escapeHtml(correction.note)}</p>`,
    )
    .join("");
}

/**
 * The lead image as a figure, so that readers which ignore enclosures and media elements still
 * show it, with its caption and credit.
 */
export function leadImageFigure(image: {
  readonly url: string;
  readonly alt: string;
  readonly caption: string | null;
  readonly credit: string | null;
}): string {
  const caption = [image.caption, image.credit]
    .map((part) => cleanText(part ?? "").trim())
    .filter((part) => part !== "")
    .join(" — ");
  const img = `<img src="${escapeHtmlAttribute(image.url)}" alt="${escapeHtmlAttribute(image.alt)}" />`;
  const figcaption = caption === "" ? "" : `<figcaption>${escapeHtml(caption)}</figcaption>`;
  return `<figure>${img}${figcaption}</figure>`;
}

/**
 * Enough of a long body to cut a summary from without turning all of it into text: the first
 * 4 KiB, ended after a tag (stored bodies are sanitised, so `>` in text and attributes is
 * escaped and the last `>` closes a tag).
 */
function summarySource(bodyHtml: string): string {
  if (bodyHtml.length <= SUMMARY_SOURCE_LENGTH) return bodyHtml;
  const end = bodyHtml.lastIndexOf(">", SUMMARY_SOURCE_LENGTH);
  return end < 0 ? bodyHtml.slice(0, SUMMARY_SOURCE_LENGTH) : bodyHtml.slice(0, end + 1);
}

const SUMMARY_SOURCE_LENGTH = 4 * 1024;

/** Summaries cut from the body stop near this many characters (code points). */
export const SUMMARY_LENGTH = 300;

/**
 * The plain-text summary of an article: the standfirst when there is one, else the start of the
 * body text, cut at a word boundary near `SUMMARY_LENGTH` and marked with an ellipsis.
 * A standfirst is only cleaned (see `cleanText`), never trimmed or folded.
 */
export function summaryText(standfirst: string | null, bodyHtml: string): string {
  const cleanStandfirst = cleanText(standfirst ?? "");
  if (cleanStandfirst.trim() !== "") return cleanStandfirst;
  const source = summarySource(bodyHtml);
  let text = plainTextFromHtml(source);
  // Markup-heavy starts (a table of links) can leave too little text in the prefix.
  if (source !== bodyHtml && text.length <= SUMMARY_LENGTH) text = plainTextFromHtml(bodyHtml);
  const codePoints = Array.from(text);
  if (codePoints.length <= SUMMARY_LENGTH) return text;
  const cut = codePoints.slice(0, SUMMARY_LENGTH).join("");
  const lastSpace = cut.lastIndexOf(" ");
  const atWord = lastSpace > SUMMARY_LENGTH * 0.6 ? cut.slice(0, lastSpace) : cut;
  return `${atWord.trimEnd()}…`;
}
