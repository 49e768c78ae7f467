import { type Federation, type KvStore, verifyRequestDetailed } from "@fedify/fedify";
import type { BlockList } from "../domain/block-list.ts";
import { hostOf } from "../domain/blocks.ts";
import { readBoundedBytes } from "../http/bounded-body.ts";
import { ProblemError, problem, problemResponse } from "../http/problem.ts";
import { type RateLimit, tooManyRequests } from "../http/rate-limit.ts";
import type { FederationData } from "./context-data.ts";
import { FEDIFY_KV_PREFIXES, fedifyKey } from "./fedify-internals.ts";
import { instanceDocumentLoader } from "./instance-actor.ts";
import { kvKeyCache } from "./key-cache.ts";

/**
 * Deepest nesting of JSON arrays and objects an activity may have. Real ones stay under ten
 * (Create > Note > tag/attachment > …); JSON-LD processing recurses once per level, so a
 * 100,000-deep body would overflow the stack after the signature check.
 */
export const INBOX_MAX_JSON_DEPTH = 32;

export interface InboxGateOptions {
  readonly federation: Federation<FederationData>;
  readonly data: FederationData;
  /** Fedify's key–value store: verified keys are cached where Fedify looks for them. */
  readonly kv: KvStore;
  readonly maxBodyBytes: number;
  /** Blocked servers and actors: their activities are answered 202 and dropped unread. */
  readonly blocks?: BlockList | undefined;
  /** Verified POSTs per remote host (the signing key's); past it 429 with Retry-After. */
  readonly perHost?: RateLimit | undefined;
}

/**
 * What stands between the internet and Fedify's inbox handler. Fedify parses the JSON and
 * runs JSON-LD over it (fetching any `@context` it names) before it checks the HTTP signature,
 * so an anonymous body could cost seconds of CPU, a fetch, or the heap. Here, before any of
 * that: the body is capped while it streams in (413), a request without an HTTP signature is
 * refused (401), and the signature is verified (401 unless it holds). Only then does Fedify
 * see the request — which it verifies again, cheaply, from the key cached here.
 *
 * Activities that carry only a Linked Data signature or an Object Integrity Proof, with no HTTP
 * signature, are refused: Mastodon and every server we deliver to sign their POSTs.
 *
 * Returns the request to hand on (its body buffered, so it can be read again) or the answer.
 */
export async function admitInboxRequest(
  request: Request,
  options: InboxGateOptions,
): Promise<Request | Response> {
  const { federation, data, kv, maxBodyBytes } = options;
  if (!isActivityMediaType(request.headers.get("content-type"))) {
    return problemResponse(
      problem(
        "unsupportedMediaType",
        "Send activities as application/activity+json or application/ld+json",
      ),
    );
  }
  let body: Uint8Array;
  try {
    body = await readBoundedBytes(request, maxBodyBytes);
  } catch (error) {
    if (error instanceof ProblemError) return problemResponse(error.problem);
    throw error;
  }
  if (!request.headers.has("signature")) {
    return unauthorized("Sign the request with an HTTP signature (draft-cavage or RFC 9421)");
  }
  const shape = jsonShapeProblem(body);
  if (typeof shape === "string") return problemResponse(problem("malformedJson", shape));
  const keyId = signatureKeyId(request.headers);
  if (options.blocks) {
    const blocked = await options.blocks.current();
    const actor = typeof shape.actor === "string" ? shape.actor : undefined;
    if ((keyId && blocked.isSuspended(keyId)) || (actor && blocked.isSuspended(actor))) {
      // Accepted, so the sender does not retry; nothing is fetched, verified or stored.
      data.logger.debug("inbox activity from a blocked server or actor dropped", { keyId, actor });
      return accepted();
    }
  }
  // Mastodon sends Delete for every account it removes to every server it knows: from an
  // actor whose key we never saw, there is nothing here to delete, so nothing is fetched.
  if (shape.type === "Delete" && !(await knownSigner(kv, request.headers))) {
    return accepted();
  }
  const admitted = new Request(request.url, {
    method: request.method,
    headers: request.headers,
    body: body as BodyInit,
    signal: request.signal,
  });
  const context = federation.createContext(admitted, data);
  // A key is fetched signed as the instance actor: servers in secure mode answer only those.
  const loaders = {
    documentLoader: instanceDocumentLoader(context),
    contextLoader: context.contextLoader,
  };
  const verification = await verifyRequestDetailed(admitted.clone(), {
    ...loaders,
    keyCache: kvKeyCache(kv, loaders),
  });
  if (!verification.verified) {
    const reason = verification.reason;
    data.logger.info("inbox request refused: signature not verified", {
      reason: reason.type,
      keyId: "keyId" in reason ? reason.keyId?.href : undefined,
    });
    return unauthorized(`The HTTP signature does not verify (${reason.type})`);
  }
  // Counted once the signature holds, so nobody can spend another server's budget.
  const host = keyId ? hostOf(keyId) : undefined;
  const waitMs = options.perHost && host ? await options.perHost.take(host) : 0;
  if (waitMs > 0) {
    data.logger.info("inbox request refused: rate limit", { host });
    return tooManyRequests(waitMs, `Too many activities from ${host}; slow down`);
  }
  return admitted;
}

/** 202 with no body: what a dropped activity gets, as if it had been processed. */
export function accepted(): Response {
  return new Response(null, { status: 202 });
}

/**
 * The key id a request says it is signed with (draft-cavage `Signature: keyId="…"` or RFC 9421
 * `Signature-Input: …;keyid="…"`), without its fragment: the signer's actor, as blocks name it.
 * Claimed, not verified: only ever used to refuse.
 */
export function signatureKeyId(headers: Headers): string | undefined {
  const keyId = claimedKeyId(headers);
  const url = keyId ? URL.parse(keyId) : null;
  if (!url) return undefined;
  url.hash = "";
  return url.href;
}

function claimedKeyId(headers: Headers): string | undefined {
  const text = `${headers.get("signature") ?? ""} ${headers.get("signature-input") ?? ""}`;
  return /keyid="([^"]+)"/i.exec(text)?.[1];
}

/** What an inbox takes: ActivityStreams JSON (Mastodon and others also send plain JSON). */
function isActivityMediaType(contentType: string | null): boolean {
  const type = contentType?.split(";")[0]?.trim().toLowerCase();
  return (
    type === "application/activity+json" ||
    type === "application/ld+json" ||
    type === "application/json"
  );
}

/** Whether we hold the public key the request names (cached when a signature of it verified). */
async function knownSigner(kv: KvStore, headers: Headers): Promise<boolean> {
  const keyId = claimedKeyId(headers);
  if (!keyId) return false;
  const cached = await kv.get(fedifyKey(FEDIFY_KV_PREFIXES.publicKey, keyId));
  return cached !== undefined && cached !== null;
}

function unauthorized(detail: string): Response {
  return problemResponse(problem("unauthorized", detail));
}

/**
 * Why `body` is not a JSON object of bounded depth, or the object when it is. The depth is
 * measured by scanning the text (strings skipped), without recursion, before anything parses it.
 */
function jsonShapeProblem(body: Uint8Array): string | Record<string, unknown> {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(body);
  } catch {
    return "The body is not valid UTF-8";
  }
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const char = text.charCodeAt(i);
    if (inString) {
      if (char === 0x5c /* \ */) i++;
      else if (char === 0x22 /* " */) inString = false;
    } else if (char === 0x22) inString = true;
    else if (char === 0x7b /* { */ || char === 0x5b /* [ */) {
      if (++depth > INBOX_MAX_JSON_DEPTH) {
        return `The activity nests deeper than ${INBOX_MAX_JSON_DEPTH} levels`;
      }
    } else if (char === 0x7d /* } */ || char === 0x5d /* ] */) depth--;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    return (error as Error).message;
  }
  return parsed !== null && typeof parsed === "object" && !Array.isArray(parsed)
    ? (parsed as Record<string, unknown>)
    : "An activity is a JSON object";
}
