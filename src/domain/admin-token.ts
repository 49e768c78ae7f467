/**
 * Scoped admin credentials. A token is 32 random bytes, shown once when it is created; only its
 * SHA-256 is stored, so a copy of the database grants nothing. Web Crypto only (Node and Workers).
 */
export const TOKEN_SCOPES = ["publish", "admin"] as const;
export type TokenScope = (typeof TOKEN_SCOPES)[number];

/** Who made an admin request: a stored token's name, or `ADMIN_TOKEN` for the configured one. */
export interface Principal {
  readonly name: string;
  readonly scope: TokenScope;
}

/** The name the configured `ADMIN_TOKEN` goes by in the audit log. */
export const CONFIGURED_TOKEN_NAME = "ADMIN_TOKEN";

/** `publish` may push, update and correct articles; `admin` may do everything. */
export function scopeAllows(granted: TokenScope, required: TokenScope): boolean {
  return granted === "admin" || granted === required;
}

/** A new token: `tdg_` and 32 random bytes in base64url (47 characters). */
export function newTokenSecret(): string {
  const bytes = new Uint8Array(32);
  crypto.getRandomValues(bytes);
  return `tdg_${base64url(bytes)}`;
}

/** The stored form of a token: SHA-256, hex. */
export async function hashToken(token: string): Promise<string> {
  const digest = new Uint8Array(
    await crypto.subtle.digest("SHA-256", new TextEncoder().encode(token)),
  );
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Compares two equal-length strings without an early exit, so timing tells nothing. */
export function constantTimeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return difference === 0;
}

function base64url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes))
    .replaceAll("+", "-")
    .replaceAll("/", "_")
    .replace(/=+$/, "");
}
