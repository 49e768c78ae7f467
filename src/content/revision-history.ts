import { plainParagraphsFromHtml } from "./sanitize-html.ts";
import { type DiffPart, diffParagraphs, diffWords, type ParagraphDiff } from "./text-diff.ts";

/** What the history compares of one stored revision of an article. */
export interface RevisionText {
  readonly revision: number;
  /** When the revision was made. */
  readonly recordedAt: Date;
  readonly headline: string;
  readonly standfirst: string | null;
  /** Sanitised HTML, compared as text. */
  readonly bodyHtml: string;
  /** The public correction note the revision carried; null for a silent fix. */
  readonly correction: string | null;
}

/** One entry of an article's public history. */
export interface HistoryEntry {
  readonly revision: number;
  /** The publication time for the first entry, else when the revision was made. */
  readonly at: Date;
  /** True for the version that went public (revisions made before publication are folded in). */
  readonly first: boolean;
  readonly correction: string | null;
  /** Against the entry before; null for the first entry or a field that did not change. */
  readonly headline: readonly DiffPart[] | null;
  readonly standfirst: readonly DiffPart[] | null;
  readonly body: readonly ParagraphDiff[] | null;
}

/**
 * The history readers see: the version that went public at `publishedAt` (the last revision
 * made by then, so drafts of a scheduled story stay private), then every later revision with
 * what it changed in the headline, standfirst and body text. Oldest first.
 */
export function publicHistory(
  revisions: readonly RevisionText[],
  publishedAt: Date,
): HistoryEntry[] {
  const sorted = [...revisions].sort((a, b) => a.revision - b.revision);
  const beforePublication = sorted.filter((r) => r.recordedAt.getTime() <= publishedAt.getTime());
  const base = beforePublication.at(-1) ?? sorted[0];
  if (!base) return [];
  const later = sorted.filter((r) => r.revision > base.revision);
  const entries: HistoryEntry[] = [
    {
      revision: base.revision,
      at: publishedAt,
      first: true,
      correction: null,
      headline: null,
      standfirst: null,
      body: null,
    },
  ];
  let previous = base;
  for (const revision of later) {
    entries.push({
      revision: revision.revision,
      at: revision.recordedAt,
      first: false,
      correction: revision.correction,
      headline: changedText(previous.headline, revision.headline),
      standfirst: changedText(previous.standfirst ?? "", revision.standfirst ?? ""),
      body: changedBody(previous.bodyHtml, revision.bodyHtml),
    });
    previous = revision;
  }
  return entries;
}

function changedText(before: string, after: string): DiffPart[] | null {
  return before === after ? null : diffWords(before, after);
}

function changedBody(beforeHtml: string, afterHtml: string): ParagraphDiff[] | null {
  if (beforeHtml === afterHtml) return null;
  const diff = diffParagraphs(
    plainParagraphsFromHtml(beforeHtml),
    plainParagraphsFromHtml(afterHtml),
  );
  // Markup alone changed (a link, emphasis): the text reads the same.
  return diff.every((paragraph) => paragraph.op === "same") ? null : diff;
}
