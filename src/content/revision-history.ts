import { plainParagraphsFromHtml } from "./sanitize-html.ts";
import {
  DiffBudget,
  type DiffPart,
  diffParagraphs,
  diffWords,
  type ParagraphDiff,
} from "./text-diff.ts";

/**
 * What one history page may cost, whatever the editors did: diff tables of at most this many
 * cells in all (under 0.1 s), and at most this many changed paragraphs shown per revision (a
 * rewrite shows its start and says how much more changed; the story itself has the rest).
 */
const PAGE_DIFF_CELLS = 5_000_000;
export const MAX_CHANGED_PARAGRAPHS = 20;

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
  /** Changed paragraphs left out of `body` past MAX_CHANGED_PARAGRAPHS. */
  readonly moreChangedParagraphs: number;
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
  const budget = new DiffBudget(PAGE_DIFF_CELLS);
  // Each revision's text is read out of its HTML once, not once per comparison.
  const paragraphs = new Map<string, string[]>();
  const paragraphsOf = (html: string) => {
    let found = paragraphs.get(html);
    if (!found) {
      found = plainParagraphsFromHtml(html);
      paragraphs.set(html, found);
    }
    return found;
  };
  const entries: HistoryEntry[] = [
    {
      revision: base.revision,
      at: publishedAt,
      first: true,
      correction: null,
      headline: null,
      standfirst: null,
      body: null,
      moreChangedParagraphs: 0,
    },
  ];
  let previous = base;
  for (const revision of later) {
    entries.push({
      revision: revision.revision,
      at: revision.recordedAt,
      first: false,
      correction: revision.correction,
      headline: changedText(previous.headline, revision.headline, budget),
      standfirst: changedText(previous.standfirst ?? "", revision.standfirst ?? "", budget),
      ...changedBody(paragraphsOf(previous.bodyHtml), paragraphsOf(revision.bodyHtml), budget),
    });
    previous = revision;
  }
  return entries;
}

function changedText(before: string, after: string, budget: DiffBudget): DiffPart[] | null {
  return before === after ? null : diffWords(before, after, budget);
}

function changedBody(
  before: readonly string[],
  after: readonly string[],
  budget: DiffBudget,
): { body: readonly ParagraphDiff[] | null; moreChangedParagraphs: number } {
  const diff = diffParagraphs(before, after, { budget, maxChanged: MAX_CHANGED_PARAGRAPHS });
  // Markup alone changed (a link, emphasis): the text reads the same.
  if (diff.paragraphs.every((paragraph) => paragraph.op === "same")) {
    return { body: null, moreChangedParagraphs: 0 };
  }
  return { body: diff.paragraphs, moreChangedParagraphs: diff.moreChanged };
}
