const EARLIEST = Date.parse("0001-01-01T00:00:00Z");
const LATEST = Date.parse("9999-12-31T23:59:59.999Z");

/**
 * Whether a date can be stored and published: PostgreSQL has no year 0 (and a JavaScript Date
 * does), and RSS and Atom dates have four-digit years.
 */
export function isStorableInstant(date: Date): boolean {
  const time = date.getTime();
  return time >= EARLIEST && time <= LATEST;
}
