/**
 * Client side of a peer: what a peer's user does to a remote server — WebFinger, fetch an actor,
 * POST signed activities — and builders for the activities it sends.
 */
import { randomUUID } from "node:crypto";
import { signRequest, signRequestRfc9421 } from "./http-signatures.ts";
import { ACTIVITY_JSON_ACCEPT } from "./keys.ts";
import { type Activity, AS_CONTEXT, type PeerActor, PUBLIC_COLLECTION } from "./peer-server.ts";

const DEFAULT_TIMEOUT_MS = 10_000;

export interface RequestOptions {
  /** Default 10 s. */
  readonly timeoutMs?: number;
}

/**
 * Looks `resource` (e.g. "acct:world@127.0.0.1:8080") up at `baseUrl`'s WebFinger endpoint and
 * returns the href of its `self` link (the ActivityPub actor).
 */
export async function webfinger(
  baseUrl: string,
  resource: string,
  options: RequestOptions = {},
): Promise<string> {
  const url = new URL("/.well-known/webfinger", baseUrl);
  url.searchParams.set("resource", resource);
  const response = await fetch(url, {
    headers: { accept: "application/jrd+json, application/json" },
    signal: AbortSignal.timeout(options.timeoutMs ?? DEFAULT_TIMEOUT_MS),
  });
  if (!response.ok) {
    throw new Error(`WebFinger ${url} answered ${response.status}: ${await response.text()}`);
  }
  const jrd = (await response.json()) as {
    links?: { rel?: string; type?: string; href?: string }[];
  };
  const self = jrd.links?.find(
    (link) =>
      link.rel === "self" &&
      typeof link.href === "string" &&
      (link.type === undefined ||
        link.type === "application/activity+json" ||
        link.type.startsWith("application/ld+json")),
  );
  if (!self?.href) throw new Error(`WebFinger ${url} has no self link: ${JSON.stringify(jrd)}`);
  return self.href;
}

/** GETs `url` as ActivityPub JSON, signed as `signAs` (authorized fetch) or unsigned; any status. */
export async function getSigned(
  url: string,
  options: RequestOptions & { readonly signAs?: PeerActor | undefined } = {},
): Promise<Response> {
  let headers: Record<string, string> = { accept: ACTIVITY_JSON_ACCEPT };
  if (options.signAs) {
    headers = await signRequest({
      method: "GET",
      url,
      headers,
      keyId: options.signAs.keyId,
      privateKey: options.signAs.privateKey,
    });
    delete headers.host;
  }
  return fetch(url, {
    headers,
    signal: AbortSignal.timeout(options.timeoutMs ?? DEFAULT_TIMEOUT_MS),
  });
}

/** GETs an ActivityPub document; optionally signed as `signAs` (authorized fetch). */
export async function fetchActor(
  url: string,
  options: RequestOptions & { readonly signAs?: PeerActor } = {},
): Promise<Record<string, unknown>> {
  const response = await getSigned(url, options);
  if (!response.ok) {
    throw new Error(`GET ${url} answered ${response.status}: ${await response.text()}`);
  }
  const type = response.headers.get("content-type") ?? "";
  if (!/^application\/(activity\+json|ld\+json)/.test(type)) {
    throw new Error(`GET ${url} answered with content type ${type}`);
  }
  return (await response.json()) as Record<string, unknown>;
}

export interface PostSignedOptions extends RequestOptions {
  /** The peer user the request is signed as. */
  readonly actor: PeerActor;
  /** Signature scheme (default "cavage", as Mastodon sends). */
  readonly scheme?: "cavage" | "rfc9421";
  /** Extra request headers (signed too). */
  readonly headers?: Record<string, string>;
}

/** POSTs `activity` to `inboxUrl` with an HTTP signature by `options.actor`; returns the Response. */
export function postSigned(
  inboxUrl: string,
  activity: Activity,
  options: PostSignedOptions,
): Promise<Response> {
  return postSignedBody(inboxUrl, JSON.stringify(activity), options);
}

/** POSTs any `body` (not necessarily JSON) with an HTTP signature by `options.actor`. */
export async function postSignedBody(
  inboxUrl: string,
  body: string,
  options: PostSignedOptions,
): Promise<Response> {
  const input = {
    method: "POST",
    url: inboxUrl,
    headers: {
      "content-type": "application/activity+json",
      accept: ACTIVITY_JSON_ACCEPT,
      ...options.headers,
    },
    body,
    keyId: options.actor.keyId,
    privateKey: options.actor.privateKey,
  };
  const headers = await ((options.scheme ?? "cavage") === "rfc9421"
    ? signRequestRfc9421(input)
    : signRequest(input));
  delete headers.host; // fetch derives the same Host from the URL
  return fetch(inboxUrl, {
    method: "POST",
    headers,
    body,
    signal: AbortSignal.timeout(options.timeoutMs ?? DEFAULT_TIMEOUT_MS),
  });
}

/** A fresh activity id under the peer's origin. */
export function newActivityId(actor: PeerActor): string {
  return `${actor.origin}/activities/${randomUUID()}`;
}

function withoutContext(activity: Activity): Activity {
  const { "@context": _context, ...rest } = activity;
  return rest;
}

/** `Follow` of `targetActorId` by `actor`. */
export function follow(actor: PeerActor, targetActorId: string): Activity {
  return {
    "@context": AS_CONTEXT,
    id: newActivityId(actor),
    type: "Follow",
    actor: actor.id,
    object: targetActorId,
  };
}

/** `Undo` of one of `actor`'s activities (embedded, as Mastodon does). */
export function undo(actor: PeerActor, activity: Activity): Activity {
  return {
    "@context": AS_CONTEXT,
    id: newActivityId(actor),
    type: "Undo",
    actor: actor.id,
    object: withoutContext(activity),
  };
}

/** Any other activity by `actor`, e.g. `activity(alice, "Like", noteId)`. */
export function activity(
  actor: PeerActor,
  type: string,
  object: unknown,
  extra: Record<string, unknown> = {},
): Activity {
  return {
    "@context": AS_CONTEXT,
    id: newActivityId(actor),
    type,
    actor: actor.id,
    object,
    ...extra,
  };
}

/** A public `Create` of a `Note` by `actor`. */
export function createNote(
  actor: PeerActor,
  content: string,
  extra: Record<string, unknown> = {},
): Activity {
  const id = newActivityId(actor);
  const published = new Date().toISOString();
  const audience = { to: [PUBLIC_COLLECTION], cc: [actor.followers] };
  return {
    "@context": AS_CONTEXT,
    id,
    type: "Create",
    actor: actor.id,
    published,
    ...audience,
    object: {
      id: `${id}/object`,
      type: "Note",
      attributedTo: actor.id,
      content,
      published,
      ...audience,
    },
    ...extra,
  };
}

/** FEP-044f terms, inline, as Mastodon 4.5 sends them (no remote context to fetch). */
const QUOTE_CONTEXT = {
  QuoteRequest: "https://w3id.org/fep/044f#QuoteRequest",
  QuoteAuthorization: "https://w3id.org/fep/044f#QuoteAuthorization",
  quote: { "@id": "https://w3id.org/fep/044f#quote", "@type": "@id" },
};

/**
 * FEP-044f `QuoteRequest` by `actor` to quote `objectId` in a new post of its own, embedded as
 * the `instrument` (as Mastodon 4.5 sends it). The post's id is `activity.instrument.id`.
 */
export function quoteRequest(
  actor: PeerActor,
  objectId: string,
  content = "Worth a read",
): Activity {
  const id = newActivityId(actor);
  return {
    "@context": [AS_CONTEXT, QUOTE_CONTEXT],
    id,
    type: "QuoteRequest",
    actor: actor.id,
    object: objectId,
    instrument: {
      id: `${actor.origin}/notes/${randomUUID()}`,
      type: "Note",
      attributedTo: actor.id,
      content: `<p>${content}</p>`,
      quote: objectId,
      to: [PUBLIC_COLLECTION],
      cc: [actor.followers],
      published: new Date().toISOString(),
    },
  };
}
