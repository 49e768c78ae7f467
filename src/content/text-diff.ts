/**
 * Readable differences between two versions of a text, for the public history of an article:
 * paragraph by paragraph, and word by word inside a paragraph that changed. A longest common
 * subsequence over tokens, after the common start and end are set aside (an edit usually
 * touches little of a story).
 */

export type DiffOp = "same" | "removed" | "added";

/** A run of text that both versions share, or that one of them has alone. */
export interface DiffPart {
  readonly op: DiffOp;
  readonly text: string;
}

/** One paragraph of the comparison: kept, gone, new, or changed (with its word diff). */
export type ParagraphDiff =
  | { readonly op: "same" | "removed" | "added"; readonly text: string }
  | { readonly op: "changed"; readonly parts: readonly DiffPart[] };

/**
 * Past this many table cells (middle of one version times middle of the other) the middle is
 * shown as removed and added whole: the table would cost more memory and time than a page may.
 */
const MAX_TABLE_CELLS = 1_000_000;

/**
 * Table cells a caller lets a series of diffs fill in all (one page's worth of work); once
 * spent, what is left to compare is shown as removed and added whole. About 10 ns a cell.
 */
export class DiffBudget {
  #cells: number;
  constructor(cells: number) {
    this.#cells = cells;
  }
  /** Takes `cells` from the budget if it still has them. */
  spend(cells: number): boolean {
    if (cells > this.#cells) return false;
    this.#cells -= cells;
    return true;
  }
}

/** The tokens of `a` and `b` in order, each marked same, removed (only in a) or added (only in b). */
export function diffSequences<T>(
  a: readonly T[],
  b: readonly T[],
  budget?: DiffBudget,
): { readonly op: DiffOp; readonly item: T }[] {
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA--;
    endB--;
  }
  const same = (items: readonly T[]) => items.map((item) => ({ op: "same" as const, item }));
  return [
    ...same(a.slice(0, start)),
    ...middle(a.slice(start, endA), b.slice(start, endB), budget),
    ...same(a.slice(endA)),
  ];
}

function middle<T>(
  a: readonly T[],
  b: readonly T[],
  budget: DiffBudget | undefined,
): { op: DiffOp; item: T }[] {
  const removed = a.map((item) => ({ op: "removed" as const, item }));
  const added = b.map((item) => ({ op: "added" as const, item }));
  const cells = a.length * b.length;
  if (cells === 0 || cells > MAX_TABLE_CELLS || (budget && !budget.spend(cells))) {
    return [...removed, ...added];
  }
  // lcs[i * width + j]: length of the longest common subsequence of a[i..] and b[j..].
  const width = b.length + 1;
  const lcs = new Uint32Array((a.length + 1) * width);
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      lcs[i * width + j] =
        a[i] === b[j]
          ? (lcs[(i + 1) * width + j + 1] ?? 0) + 1
          : Math.max(lcs[(i + 1) * width + j] ?? 0, lcs[i * width + j + 1] ?? 0);
    }
  }
  const out: { op: DiffOp; item: T }[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    if (a[i] === b[j]) {
      out.push({ op: "same", item: a[i] as T });
      i++;
      j++;
    } else if ((lcs[(i + 1) * width + j] ?? 0) >= (lcs[i * width + j + 1] ?? 0)) {
      // Removals before additions, so a replaced word reads "old new".
      out.push({ op: "removed", item: a[i] as T });
      i++;
    } else {
      out.push({ op: "added", item: b[j] as T });
      j++;
    }
  }
  return [...out, ...removed.slice(i), ...added.slice(j)];
}

/** Words with the spaces after them: "in Geneva." -> ["in ", "Geneva."]. */
function words(text: string): string[] {
  return text.match(/\s+|\S+\s*/g) ?? [];
}

/** Word by word; neighbouring tokens with the same mark are joined into one part. */
export function diffWords(before: string, after: string, budget?: DiffBudget): DiffPart[] {
  const parts: { op: DiffOp; text: string }[] = [];
  for (const { op, item } of diffSequences(words(before), words(after), budget)) {
    const last = parts.at(-1);
    if (last?.op === op) last.text += item;
    else parts.push({ op, text: item });
  }
  return parts;
}

/** What diffParagraphs shows, and how many changed paragraphs it left out past its limit. */
export interface ParagraphsDiff {
  readonly paragraphs: readonly ParagraphDiff[];
  readonly moreChanged: number;
}

/**
 * Paragraph by paragraph. A run of removed paragraphs followed by a run of added ones is read
 * as those paragraphs rewritten, pairwise, each with its word diff; what is left over of the
 * longer run stays removed or added. Past `maxChanged` changed paragraphs the rest are only
 * counted (never compared word by word), and unchanged ones after them are dropped.
 */
export function diffParagraphs(
  before: readonly string[],
  after: readonly string[],
  options: { readonly budget?: DiffBudget; readonly maxChanged?: number } = {},
): ParagraphsDiff {
  const { budget, maxChanged = Number.POSITIVE_INFINITY } = options;
  const steps = diffSequences(before, after, budget);
  const out: ParagraphDiff[] = [];
  let changed = 0;
  let moreChanged = 0;
  const push = (paragraph: () => ParagraphDiff) => {
    if (changed < maxChanged) {
      changed++;
      out.push(paragraph());
    } else moreChanged++;
  };
  let index = 0;
  while (index < steps.length) {
    const step = steps[index];
    if (!step) break;
    if (step.op !== "removed") {
      if (step.op === "added") push(() => ({ op: "added", text: step.item }));
      else if (changed < maxChanged) out.push({ op: "same", text: step.item });
      index++;
      continue;
    }
    const removed: string[] = [];
    while (steps[index]?.op === "removed") removed.push(steps[index++]?.item ?? "");
    const added: string[] = [];
    while (steps[index]?.op === "added") added.push(steps[index++]?.item ?? "");
    const paired = Math.min(removed.length, added.length);
    for (let k = 0; k < paired; k++) {
      push(() => ({
        op: "changed",
        parts: diffWords(removed[k] ?? "", added[k] ?? "", budget),
      }));
    }
    for (const text of removed.slice(paired)) push(() => ({ op: "removed", text }));
    for (const text of added.slice(paired)) push(() => ({ op: "added", text }));
  }
  return { paragraphs: out, moreChanged };
}
