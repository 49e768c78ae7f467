import { isStorableInstant } from "./instant.ts";

/**
 * Keyset pagination cursors, opaque to clients: the sort key of the last item of a page, an
 * instant and a tie-breaking key (an article id, a follower's actor id), as base64url of
 * `ISO|key` (UTF-8). The one codec for every listing.
 */
export interface KeysetCursor {
  readonly at: Date;
  readonly key: string;
}

/** An article listing's position: newest first, by publication time then id. */
export interface ArticleCursor {
  readonly publishedAt: Date;
  readonly id: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: string): boolean {
  return UUID.test(value);
}

export function encodeKeyset(cursor: KeysetCursor): string {
  const bytes = new TextEncoder().encode(`${cursor.at.toISOString()}|${cursor.key}`);
  return btoa(String.fromCharCode(...bytes))
    .replaceAll("+", "-")
    .replaceAll("/", "_")
    .replace(/=+$/, "");
}

/** The cursor, or undefined for anything this codec did not hand out (or `isKey` refuses). */
export function decodeKeyset(
  encoded: string,
  isKey: (key: string) => boolean = (key) => key !== "",
): KeysetCursor | undefined {
  let text: string;
  try {
    const binary = atob(encoded.replaceAll("-", "+").replaceAll("_", "/"));
    text = new TextDecoder("utf-8", { fatal: true }).decode(
      Uint8Array.from(binary, (char) => char.charCodeAt(0)),
    );
  } catch {
    return undefined;
  }
  const bar = text.indexOf("|");
  if (bar < 0) return undefined;
  const at = new Date(text.slice(0, bar));
  const key = text.slice(bar + 1);
  return isStorableInstant(at) && isKey(key) ? { at, key } : undefined;
}

export function encodeCursor(cursor: ArticleCursor): string {
  return encodeKeyset({ at: cursor.publishedAt, key: cursor.id });
}

export function decodeCursor(encoded: string): ArticleCursor | undefined {
  const cursor = decodeKeyset(encoded, isUuid);
  return cursor && { publishedAt: cursor.at, id: cursor.key };
}
