import type { Object as APObject } from "@fedify/vocab";

/** The public collection, written out: older Mastodon and others do not read `as:Public`. */
export const PUBLIC_URI = "https://www.w3.org/ns/activitystreams#Public";

const COMPACT_FORMS = new Set(["as:Public", "Public"]);
/** Properties whose values are audiences: addressing, and GoToSocial/FEP-044f interaction rules. */
const AUDIENCE_KEYS = new Set([
  "to",
  "cc",
  "bto",
  "bcc",
  "audience",
  "automaticApproval",
  "manualApproval",
  "always",
  "approvalRequired",
]);
const MAX_DEPTH = 64;

/**
 * Fedify compacts the public collection to `as:Public` (JSON-LD compaction against the
 * ActivityStreams context makes it so, and no context we could send prevents it while `as:` is
 * defined). The expanded IRI is the same node, so writing it out changes no meaning: every
 * document we serve passes here. Returns a new value; `@context` is left alone.
 */
export function expandPublicAudience(value: unknown, key?: string, depth = 0): unknown {
  if (typeof value === "string") {
    return key !== undefined && AUDIENCE_KEYS.has(key) && COMPACT_FORMS.has(value)
      ? PUBLIC_URI
      : value;
  }
  if (depth >= MAX_DEPTH || value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map((item) => expandPublicAudience(item, key, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] = k === "@context" ? v : expandPublicAudience(v, k, depth + 1);
  }
  return out;
}

/** Our `respondWithObject`: the object as compact JSON-LD with the public audience written out. */
export async function respondWithActivityJson(object: APObject, status = 200): Promise<Response> {
  const json = expandPublicAudience(await object.toJsonLd());
  return new Response(JSON.stringify(json), {
    status,
    headers: { "content-type": "application/activity+json" },
  });
}

const ACTIVITY_JSON = /^application\/(activity\+json|ld\+json)/;

/**
 * For responses Fedify builds itself (collections: outbox, featured): the same rewrite, when the
 * body is ActivityStreams JSON that contains a compact public audience.
 */
export async function expandPublicAudienceInResponse(response: Response): Promise<Response> {
  if (!ACTIVITY_JSON.test(response.headers.get("content-type") ?? "")) return response;
  const text = await response.text();
  const headers = new Headers(response.headers);
  headers.delete("content-length");
  let body = text;
  if (text.includes('"as:Public"') || text.includes('"Public"')) {
    try {
      body = JSON.stringify(expandPublicAudience(JSON.parse(text)));
    } catch {
      body = text;
    }
  }
  return new Response(body, { status: response.status, statusText: response.statusText, headers });
}
