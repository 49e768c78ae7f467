/**
 * Parses the plain-text wire format newsrooms receive from agencies:
 *
 *   Headline line
 *   (blank)
 *     • dd/mm/yyyy           dateline
 *   Photo caption paragraph ending in an agency credit, e.g. "REUTERS/SANA/Handout via Reuters",
 *   optionally followed by the agency's notes to editors (dropped)
 *   (blank)
 *   Body paragraph, one per blank-line-separated block…
 */
export interface WireStory {
  readonly headline: string;
  /** Midnight UTC of the dateline's day. */
  readonly date: Date | null;
  readonly photo: { readonly caption: string; readonly credit: string } | null;
  readonly paragraphs: readonly string[];
}

const DATELINE = /^\s*•\s*(\d{1,2})\/(\d{1,2})\/(\d{4})\s*$/;
/** An agency credit: an upper-case agency, then slash-separated sources, optionally "via Agency". */
const CREDIT = /\b([A-Z][A-Z&]+(?:\/[A-Za-z][\w&.-]*)+(?: via [A-Z][a-z][\w&.-]*)?)(?=\s|$)/;

export function parseWireStory(text: string): WireStory {
  const blocks = text
    .replace(/\r\n?/g, "\n")
    .split(/\n\s*\n/)
    .map((block) => block.trim())
    .filter((block) => block.length > 0);
  const headline = (blocks.shift() ?? "").replace(/\s+/g, " ");
  let date: Date | null = null;
  let photo: WireStory["photo"] = null;

  // The dateline may share a block with the caption (no blank line between them).
  const first = blocks[0];
  if (first !== undefined) {
    const [maybeDateline = "", ...rest] = first.split("\n");
    const match = DATELINE.exec(maybeDateline);
    if (match) {
      const [, day, month, year] = match;
      date = new Date(Date.UTC(Number(year), Number(month) - 1, Number(day)));
      const remainder = rest.join("\n").trim();
      if (remainder) blocks[0] = remainder;
      else blocks.shift();
    }
  }

  const captionBlock = blocks[0];
  if (date !== null && captionBlock !== undefined) {
    const credit = CREDIT.exec(captionBlock);
    if (credit?.[1] !== undefined) {
      photo = {
        caption: captionBlock.slice(0, credit.index).replace(/\s+/g, " ").trim(),
        credit: credit[1],
      };
      blocks.shift();
    }
  }

  return { headline, date, photo, paragraphs: blocks.map((b) => b.replace(/\s+/g, " ")) };
}

/** The admin API's article JSON for a wire story (the photo needs a URL to be kept). */
export function wireStoryToArticleJson(
  story: WireStory,
  options: { feeds: readonly string[]; externalId?: string; imageUrl?: string },
) {
  const escapeHtml = (text: string) =>
    text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");
  return {
    headline: story.headline,
    bodyHtml: story.paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`).join("\n"),
    feeds: [...options.feeds],
    ...(story.date ? { publishedAt: story.date.toISOString() } : {}),
    ...(options.externalId ? { externalId: options.externalId } : {}),
    ...(story.photo && options.imageUrl
      ? {
          image: {
            url: options.imageUrl,
            // The caption's first sentence describes what the picture shows.
            alt: story.photo.caption.split(/(?<=\.)\s/)[0] ?? story.photo.caption,
            caption: story.photo.caption,
            credit: story.photo.credit,
          },
        }
      : {}),
  };
}
