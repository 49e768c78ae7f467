import { encodeKeyset, type KeysetCursor } from "../domain/cursor.ts";

export type KeysetPageResult<T> =
  | { readonly ok: true; readonly value: { items: T[]; nextCursor: string | null } }
  | { readonly ok: false; readonly error: "invalid-cursor" };

/**
 * A page from `rows`, read with one row more than `limit`: that extra row, if there, says a
 * next page exists, whose cursor is the last item's sort key.
 */
export function keysetPage<T>(
  rows: readonly T[],
  limit: number,
  keyOf: (item: T) => KeysetCursor,
): KeysetPageResult<T> {
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return {
    ok: true,
    value: {
      items,
      nextCursor: rows.length > limit && last ? encodeKeyset(keyOf(last)) : null,
    },
  };
}
