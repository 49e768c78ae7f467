/**
 * A feed's archive (RFC 5005 archived feeds) in fixed pages.
 *
 * Every article that ever reached a feed's readers holds a place in it: its publication order,
 * by (publication time, id), counting deleted articles too. Page n holds places
 * (n-1)*size+1 .. n*size, so publishing a newer article or deleting one only touches the page
 * that holds it, and a full page changes only when one of its own articles is edited or deleted
 * (a deleted one leaves its place empty). An embargoed article has no place until its time: it
 * then sorts after every public one, onto the newest page.
 *
 * What does move places: an article pushed with a publication time older than the newest one
 * (backdated), or taken out of the feed, shifts every later place by one.
 */
export interface ArchivePage {
  /** 1 = the oldest articles. */
  readonly number: number;
  /** The newest page with any place in it (the one the feed document links as prev-archive). */
  readonly newest: number;
  /** Whether all `size` places are taken: then it never changes by itself (served `immutable`). */
  readonly full: boolean;
  /** Places before the page's first one. */
  readonly offset: number;
  readonly size: number;
}

/** The newest page of an archive of `places` places, or null for an empty archive. */
export function newestArchivePage(places: number, size: number): number | null {
  return places === 0 ? null : Math.ceil(places / size);
}

/**
 * Page `number` of an archive of `places`, or undefined when there is none. A full newest page
 * links `next-archive` to the page after it before that page has anything (its bytes must not
 * change when the next article comes), so that page answers too, empty.
 */
export function archivePage(number: number, places: number, size: number): ArchivePage | undefined {
  const newest = newestArchivePage(places, size);
  if (newest === null || !Number.isSafeInteger(number) || number < 1) return undefined;
  if (number > Math.floor(places / size) + 1) return undefined;
  return {
    number,
    newest,
    full: places >= number * size,
    offset: (number - 1) * size,
    size,
  };
}
