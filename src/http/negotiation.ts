/**
 * Content negotiation for URLs that browsers, feed readers and fediverse servers share.
 * Deliberately simple (substring checks, no q-values): browsers always list `text/html`, and
 * ActivityPub servers always name their own types.
 */

/** An ActivityPub client: `application/activity+json` or JSON-LD (with the AS2 profile or not). */
export function wantsActivityPub(accept: string | undefined): boolean {
  return /application\/(activity\+json|ld\+json)/i.test(accept ?? "");
}

/** A browser: it asks for HTML. Clients that send no Accept keep getting problem+json errors. */
export function wantsHtml(accept: string | undefined): boolean {
  return /text\/html|application\/xhtml\+xml/i.test(accept ?? "");
}

/** An API client that asks for JSON and not HTML. */
export function wantsJson(accept: string | undefined): boolean {
  return /json/i.test(accept ?? "") && !wantsHtml(accept);
}

/**
 * Pages allow only our own stylesheet and script: no inline code, no plugins, no framing.
 * Images may come from any https origin (lead images live on the newsroom's media server).
 * `form-action` allows https because "Follow from your server" redirects to the reader's server.
 */
export const PAGE_CSP = [
  "default-src 'none'",
  "style-src 'self'",
  "script-src 'self'",
  "img-src 'self' https:",
  "connect-src 'self'",
  "form-action 'self' https:",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join("; ");

export const PAGE_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "content-security-policy": PAGE_CSP,
  "x-content-type-options": "nosniff",
  "referrer-policy": "strict-origin-when-cross-origin",
};
