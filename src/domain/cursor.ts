import { isStorableInstant } from "./instant.ts";
/** Keyset pagination cursor: the sort key of the last item of a page, opaque to clients. */
export interface ArticleCursor {
  readonly publishedAt: Date;
  readonly id: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: string): boolean {
  return UUID.test(value);
}

export function encodeCursor(cursor: ArticleCursor): string {
  return base64UrlEncode(`${cursor.publishedAt.toISOString()}|${cursor.id}`);
}

export function decodeCursor(encoded: string): ArticleCursor | undefined {
  let text: string;
  try {
    text = base64UrlDecode(encoded);
  } catch {
    return undefined;
  }
  const [iso, id, ...rest] = text.split("|");
  const publishedAt = new Date(iso ?? "");
  if (rest.length > 0 || !id || !isUuid(id) || !isStorableInstant(publishedAt)) {
    return undefined;
  }
  return { publishedAt, id };
}

function base64UrlEncode(text: string): string {
  return btoa(text).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

function base64UrlDecode(encoded: string): string {
  return atob(encoded.replaceAll("-", "+").replaceAll("_", "/"));
}
