/**
 * Key pairs for peer actors, and the key fetcher a peer uses to look up the signer of an incoming
 * request: GET the keyId (without its fragment) as ActivityPub JSON, find the key in it, and work
 * out which actor owns it. Results are cached in memory; concurrent look-ups share one request.
 */
import { createPublicKey, generateKeyPairSync, type KeyObject } from "node:crypto";
import { type PublicKeyFetcher, type PublicKeyInfo, signRequest } from "./http-signatures.ts";

export interface PeerKeyPair {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  /** SPKI PEM, as published in `publicKey.publicKeyPem`. */
  readonly publicKeyPem: string;
}

/** A fresh RSA key pair (slow: ~50–500 ms for 2048 bits). */
export function generatePeerKeyPair(bits = 2048): PeerKeyPair {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: bits });
  return {
    privateKey,
    publicKey,
    publicKeyPem: publicKey.export({ type: "spki", format: "pem" }).toString(),
  };
}

const sharedKeyPairs = new Map<number, PeerKeyPair>();

/** One RSA key pair per process (per size), generated on first use and reused by every peer. */
export function sharedPeerKeyPair(bits = 2048): PeerKeyPair {
  let pair = sharedKeyPairs.get(bits);
  if (!pair) {
    pair = generatePeerKeyPair(bits);
    sharedKeyPairs.set(bits, pair);
  }
  return pair;
}

export const ACTIVITY_JSON_ACCEPT =
  'application/activity+json, application/ld+json; profile="https://www.w3.org/ns/activitystreams"';

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  typeof value === "object" && value !== null && !Array.isArray(value);

const asArray = (value: unknown): unknown[] =>
  value === undefined || value === null ? [] : Array.isArray(value) ? value : [value];

/** An object's id, whether it is given as a string or as an object with an `id`. */
export function idOf(value: unknown): string | null {
  if (typeof value === "string") return value;
  if (isObject(value) && typeof value.id === "string") return value.id;
  return null;
}

const BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

function base58Decode(text: string): Buffer {
  let value = 0n;
  for (const char of text) {
    const digit = BASE58.indexOf(char);
    if (digit < 0) throw new Error("bad base58 character");
    value = value * 58n + BigInt(digit);
  }
  const bytes: number[] = [];
  while (value > 0n) {
    bytes.unshift(Number(value & 0xffn));
    value >>= 8n;
  }
  for (const char of text) {
    if (char !== "1") break;
    bytes.unshift(0);
  }
  return Buffer.from(bytes);
}

/** A `publicKeyMultibase` (FEP-521a Multikey): Ed25519 (0xed01) or RSA (0x1205, PKCS#1 DER). */
function multikeyToPublicKey(multibase: string): KeyObject {
  if (!multibase.startsWith("z")) throw new Error("only base58btc multibase keys are supported");
  const bytes = base58Decode(multibase.slice(1));
  if (bytes[0] === 0xed && bytes[1] === 0x01 && bytes.length === 34) {
    return createPublicKey({
      key: { kty: "OKP", crv: "Ed25519", x: bytes.subarray(2).toString("base64url") },
      format: "jwk",
    });
  }
  if (bytes[0] === 0x85 && bytes[1] === 0x24) {
    return createPublicKey({ key: bytes.subarray(2), format: "der", type: "pkcs1" });
  }
  throw new Error("unsupported multikey type");
}

function keyMaterial(key: Json): KeyObject | null {
  if (typeof key.publicKeyPem === "string") return createPublicKey(key.publicKeyPem);
  if (typeof key.publicKeyMultibase === "string")
    return multikeyToPublicKey(key.publicKeyMultibase);
  return null;
}

/** Keys an actor document lists (`publicKey`, then `assertionMethod`), embedded or by id. */
function listedKeys(doc: Json): unknown[] {
  return [...asArray(doc.publicKey), ...asArray(doc.assertionMethod)];
}

export interface KeyFetcherOptions {
  /** Per request (default 10 s). */
  readonly timeoutMs?: number;
  /** Sign key fetches (Mastodon "secure mode" style) as this key. */
  readonly signAs?: { readonly keyId: string; readonly privateKey: KeyObject };
  /** Largest document accepted (default 1 MiB). */
  readonly maxBytes?: number;
  /** The fetch to use (default the global one), e.g. to route a public origin to loopback. */
  readonly fetch?: typeof globalThis.fetch;
}

export interface KeyFetcher {
  /** For `verifyRequest`. */
  readonly fetchKey: PublicKeyFetcher;
  /** HTTP requests made so far. */
  readonly fetches: number;
  /** Look-ups that failed (HTTP error, timeout, no usable key). */
  readonly failures: number;
  readonly size: number;
  clear(): void;
}

/** A caching key fetcher over HTTP (undici `fetch`). */
export function createKeyFetcher(options: KeyFetcherOptions = {}): KeyFetcher {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const maxBytes = options.maxBytes ?? 1024 * 1024;
  const cache = new Map<string, Promise<PublicKeyInfo>>();
  const refreshing = new Map<string, Promise<PublicKeyInfo>>();
  let fetches = 0;
  let failures = 0;

  async function getJson(url: string): Promise<Json> {
    const headers: Record<string, string> = { accept: ACTIVITY_JSON_ACCEPT };
    if (options.signAs) {
      const signed = await signRequest({
        method: "GET",
        url,
        headers,
        keyId: options.signAs.keyId,
        privateKey: options.signAs.privateKey,
      });
      delete signed.host;
      Object.assign(headers, signed);
    }
    fetches++;
    const response = await (options.fetch ?? fetch)(url, {
      headers,
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`GET ${url} answered ${response.status}`);
    if (text.length > maxBytes) throw new Error(`GET ${url} returned more than ${maxBytes} bytes`);
    const doc: unknown = JSON.parse(text);
    if (!isObject(doc)) throw new Error(`GET ${url} did not return a JSON object`);
    return doc;
  }

  /** The actor document `url` must list `keyId` among its keys. */
  async function confirmOwner(owner: string, keyId: string): Promise<void> {
    const actor = await getJson(owner);
    if (actor.id !== owner) throw new Error(`owner ${owner} serves a document with id ${actor.id}`);
    if (!listedKeys(actor).some((k) => idOf(k) === keyId)) {
      throw new Error(`owner ${owner} does not list key ${keyId}`);
    }
  }

  async function load(keyId: string): Promise<PublicKeyInfo> {
    const keyUrl = new URL(keyId);
    if (keyUrl.protocol !== "http:" && keyUrl.protocol !== "https:") {
      throw new Error(`keyId ${keyId} is not an HTTP URL`);
    }
    keyUrl.hash = "";
    const docUrl = keyUrl.href;
    const doc = await getJson(docUrl);
    const docId = typeof doc.id === "string" ? doc.id : null;
    if (docId === null) throw new Error(`${docUrl} has no id`);
    if (new URL(docId).origin !== keyUrl.origin) {
      throw new Error(`${docUrl} claims the id ${docId} of another origin`);
    }

    // The key embedded in an actor (the usual `…/users/alice#main-key`).
    const embedded = listedKeys(doc).find(
      (k): k is Json => isObject(k) && k.id === keyId && keyMaterial(k) !== null,
    );
    if (embedded) {
      const claimedOwner = idOf(embedded.owner) ?? idOf(embedded.controller) ?? docId;
      if (claimedOwner !== docId) {
        throw new Error(`key ${keyId} inside ${docId} claims to belong to ${claimedOwner}`);
      }
      return { publicKey: keyMaterial(embedded) as KeyObject, owner: docId };
    }

    if (docId === keyId) {
      // A standalone key document: trust its owner only if the owner lists the key.
      const material = keyMaterial(doc);
      if (material) {
        const owner = idOf(doc.owner) ?? idOf(doc.controller);
        if (owner === null) throw new Error(`key ${keyId} names no owner`);
        if (owner !== docId) await confirmOwner(owner, keyId);
        return { publicKey: material, owner };
      }
      // The keyId is the actor itself (no fragment): use its only key.
      const keys = listedKeys(doc).filter((k): k is Json => isObject(k) && keyMaterial(k) !== null);
      const only = keys.length === 1 ? keys[0] : undefined;
      if (only) return { publicKey: keyMaterial(only) as KeyObject, owner: docId };
    }
    throw new Error(`${docUrl} does not contain key ${keyId}`);
  }

  function cached(keyId: string): Promise<PublicKeyInfo> {
    let entry = cache.get(keyId);
    if (!entry) {
      entry = load(keyId);
      cache.set(keyId, entry);
      entry.catch(() => {
        failures++;
        if (cache.get(keyId) === entry) cache.delete(keyId);
      });
    }
    return entry;
  }

  const fetchKey: PublicKeyFetcher = async (keyId, { refresh }) => {
    if (refresh) {
      // One refresh at a time per key; callers that raced on a stale key share it.
      let pending = refreshing.get(keyId);
      if (!pending) {
        cache.delete(keyId);
        pending = cached(keyId);
        refreshing.set(keyId, pending);
        const done = () => refreshing.delete(keyId);
        pending.then(done, done);
      }
      return pending;
    }
    return cached(keyId);
  };

  return {
    fetchKey,
    get fetches() {
      return fetches;
    },
    get failures() {
      return failures;
    },
    get size() {
      return cache.size;
    },
    clear: () => cache.clear(),
  };
}
