/**
 * HTTP request signatures as the fediverse uses them, from maintained libraries that owe nothing
 * to Fedify:
 *
 * - draft-cavage-http-signatures-12 (what Mastodon signs):
 *   `@misskey-dev/node-http-message-signatures`, the library Misskey signs and verifies with,
 *   which also does the RFC 3230 `Digest` and RFC 9530 `Content-Digest` headers and the `Date`
 *   clock-skew check.
 * - RFC 9421 HTTP Message Signatures (what Fedify tries first): `http-message-signatures`.
 *
 * What is left here is glue: one request shape for both, key look-up with one refresh, Mastodon's
 * coverage rules as library options, the query-less (request-target) Fedify signs, and results
 * that say why a request was refused. Header records produced here use lowercase names.
 */
import { createPrivateKey, createPublicKey, type KeyObject } from "node:crypto";
import {
  genDigestHeaderBothRFC3230AndRFC9530,
  importPrivateKey,
  type ParsedDraftSignature,
  parseAndImportPublicKey,
  parseDraftRequestSignatureHeader,
  parseRequestSignature,
  signAsDraftToRequest,
  verifyDraftSignature,
  verifyRFC3230DigestHeader,
  verifyRFC9530DigestHeader,
} from "@misskey-dev/node-http-message-signatures";
import { createSigner, createVerifier, httpbis } from "http-message-signatures";
import {
  type InnerList,
  isInnerList,
  parseDictionary,
  serializeInnerList,
  serializeItem,
} from "structured-headers";

export type HeaderInput =
  | Headers
  | Iterable<readonly [string, string]>
  | Record<string, string | readonly string[] | undefined>;

/** What the signers and verifiers need of a request. `url` is absolute. */
export interface HttpRequestLike {
  readonly method: string;
  readonly url: string;
  readonly headers: HeaderInput;
  readonly body?: Uint8Array | string | null;
}

/** A public key as returned by a key fetcher; a bare string is taken as PEM. */
export interface PublicKeyInfo {
  readonly publicKey: KeyObject | string;
  /** The actor that owns the key (the key document's `owner`/`controller`), if known. */
  readonly owner?: string | null;
}

/**
 * Looks up the key named by a signature's keyId. `refresh` is true on the one retry after a
 * signature failed with a (possibly stale) cached key.
 */
export type PublicKeyFetcher = (
  keyId: string,
  options: { refresh: boolean },
) => Promise<PublicKeyInfo | string | null | undefined>;

export type SignatureScheme = "cavage" | "rfc9421";

export interface VerifyOptions {
  /** The verifier's clock in ms since the epoch (default `Date.now()`). */
  readonly now?: number;
  /** Allowed clock skew for `Date`/`created` (default one hour). */
  readonly maxSkewMs?: number;
  /** "reject" refuses RFC 9421 signatures, like Mastodon before 4.5 (default "accept"). */
  readonly rfc9421?: "accept" | "reject";
  /**
   * Insist on Mastodon's minimum coverage: (request-target), host and date (cavage) or @method,
   * @target-uri and created (RFC 9421), and a digest for requests with a body (default true).
   */
  readonly requireCoverage?: boolean;
}

export type VerifyResult =
  | {
      readonly ok: true;
      readonly scheme: SignatureScheme;
      readonly keyId: string;
      readonly owner: string | null;
      readonly algorithm: string;
      /** Covered header names (cavage) or component identifiers (RFC 9421). */
      readonly covered: readonly string[];
    }
  | {
      readonly ok: false;
      readonly reason: string;
      readonly scheme?: SignatureScheme;
      readonly keyId?: string;
    };

export const DEFAULT_MAX_SKEW_MS = 60 * 60 * 1000;

// ---------------------------------------------------------------------------------------------
// Requests, headers and digests

type Body = Uint8Array | string | null | undefined;

/** Lowercase-named field lines from any header representation. */
export function headerLines(input: HeaderInput): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const pairs: Iterable<readonly [string, string | readonly string[] | undefined]> =
    input instanceof Headers || Symbol.iterator in input
      ? (input as Iterable<readonly [string, string]>)
      : Object.entries(input);
  for (const [name, value] of pairs) {
    if (value === undefined) continue;
    const lines = out.get(name.toLowerCase()) ?? [];
    lines.push(...(typeof value === "string" ? [value] : value));
    out.set(name.toLowerCase(), lines);
  }
  return out;
}

/** One combined value per lowercase name (RFC 9110 §5.3), the shape both libraries read. */
function headerRecord(input: HeaderInput | undefined): Record<string, string> {
  const record: Record<string, string> = {};
  for (const [name, lines] of headerLines(input ?? {})) {
    record[name] = lines.map((line) => line.trim()).join(", ");
  }
  return record;
}

const hasBody = (body: Body) => body != null && body.length > 0;

/** A body as the digest functions take it (a copy when it is a view on a shared buffer). */
const digestSource = (body: Body) =>
  body == null ? "" : typeof body === "string" ? body : new Uint8Array(body);

export type DigestAlgorithm = "sha-256" | "sha-512";

/** Both digest headers of `body` (the library writes them onto a request's headers). */
async function digests(body: Body, algorithm: DigestAlgorithm) {
  const scratch = { method: "POST", url: "/", headers: {} as Record<string, string> };
  const hash = algorithm === "sha-512" ? "SHA-512" : "SHA-256";
  await genDigestHeaderBothRFC3230AndRFC9530(scratch, digestSource(body), hash);
  return {
    digest: scratch.headers.Digest ?? "",
    contentDigest: scratch.headers["Content-Digest"] ?? "",
  };
}

/** The draft-cavage `Digest` header value: `SHA-256=<base64>`. */
export async function digestHeader(body: Body): Promise<string> {
  return (await digests(body, "sha-256")).digest;
}

/** The RFC 9530 `Content-Digest` header value, e.g. `sha-256=:<base64>:`. */
export async function contentDigestHeader(
  body: Body,
  algorithm: DigestAlgorithm = "sha-256",
): Promise<string> {
  return (await digests(body, algorithm)).contentDigest;
}

/** Runs a library check that reports why it failed through a logger; returns that reason. */
async function failureOf(
  check: (log: (message: unknown) => void) => Promise<boolean>,
  fallback: string,
): Promise<string | null> {
  let reason = fallback;
  const log = (message: unknown) => {
    reason = message instanceof Error ? message.message : String(message);
  };
  return (await check(log)) ? null : reason;
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

// ---------------------------------------------------------------------------------------------
// Keys

const toPrivateKey = (key: KeyObject | string) =>
  typeof key === "string" ? createPrivateKey(key) : key;

const pem = (key: KeyObject, type: "pkcs8" | "spki") =>
  key.export({ type, format: "pem" }).toString();

/**
 * The draft-cavage library parses and imports a PEM key into WebCrypto on every call, which made
 * verifying several times slower than the hand-written code it replaced (it matters to the peer
 * farm of the fan-out benchmark): import each key once per use instead.
 */
const importedKeys = new WeakMap<KeyObject, Map<string, Promise<CryptoKey>>>();
function imported(key: KeyObject, use: string, load: () => Promise<CryptoKey>): Promise<CryptoKey> {
  const uses = importedKeys.get(key) ?? new Map<string, Promise<CryptoKey>>();
  importedKeys.set(key, uses);
  const cryptoKey = uses.get(use) ?? load();
  uses.set(use, cryptoKey);
  return cryptoKey;
}

/** The RFC 9421 algorithm for a key: the library wants it named, it does not read it off the key. */
function algorithmForKey(key: KeyObject): string {
  const curve = key.asymmetricKeyDetails?.namedCurve;
  const names: Record<string, string | undefined> = {
    rsa: "rsa-v1_5-sha256",
    "rsa-pss": "rsa-pss-sha512",
    ed25519: "ed25519",
    ec: { prime256v1: "ecdsa-p256-sha256", secp384r1: "ecdsa-p384-sha384" }[curve ?? ""],
  };
  const name = names[key.asymmetricKeyType ?? ""];
  if (!name) throw new Error(`unsupported key type ${key.asymmetricKeyType}`);
  return name;
}

/**
 * Verifies with the cached key and, if that fails, once more with a refreshed key (the signer may
 * have rotated its key), as Mastodon does. `check` returns why the signature failed, or null.
 */
async function verifyWithKey(
  fetchKey: PublicKeyFetcher,
  keyId: string,
  check: (key: KeyObject) => Promise<string | null>,
): Promise<{ owner: string | null } | { error: string }> {
  let error = "";
  for (const refresh of [false, true]) {
    try {
      const info = await fetchKey(keyId, { refresh });
      if (info == null) {
        error = `unknown key ${keyId}`;
        continue;
      }
      const { publicKey, owner = null } = typeof info === "string" ? { publicKey: info } : info;
      const key = typeof publicKey === "string" ? createPublicKey(publicKey) : publicKey;
      const failure = await check(key.type === "private" ? createPublicKey(key) : key);
      if (failure === null) return { owner };
      error = failure;
    } catch (cause) {
      error = `could not use key ${keyId}: ${messageOf(cause)}`;
    }
  }
  return { error };
}

// ---------------------------------------------------------------------------------------------
// Signing

/** What both signature schemes sign: one request, and the key to sign it with. */
interface SignableRequest {
  readonly method: string;
  /** Absolute URL. */
  readonly url: string;
  readonly headers?: HeaderInput;
  readonly body?: Uint8Array | string | null;
  readonly keyId: string;
  /** PEM (PKCS#8/PKCS#1) or a KeyObject. */
  readonly privateKey: KeyObject | string;
}

/** RSA keys sign rsa-sha256 (Ed25519 keys ed25519-sha512). */
export interface SignRequestInput extends SignableRequest {
  /** Headers to cover, default `(request-target) host date [digest] [content-type]`. */
  readonly signedHeaders?: readonly string[];
  /** Signing time in ms (default now); sets `Date` unless `headers` already has one. */
  readonly now?: number;
}

/** Lowercase header record carrying the input headers plus `host`, `date`, `digest`, … */
export type SignedHeaders = Record<string, string>;

function mergedHeaders(url: URL, input: HeaderInput | undefined, now: number): SignedHeaders {
  const headers = headerRecord(input);
  headers.host ??= url.host;
  headers.date ??= new Date(now).toUTCString();
  return headers;
}

/**
 * Signs a request the way Mastodon does (draft-cavage-http-signatures-12) and returns the headers
 * to send: the given ones plus `host`, `date`, `digest` (when there is a body) and `signature`.
 */
export async function signRequest(input: SignRequestInput): Promise<SignedHeaders> {
  const url = new URL(input.url);
  const headers = mergedHeaders(url, input.headers, input.now ?? Date.now());
  if (input.body != null) headers.digest ??= await digestHeader(input.body);
  const covered = input.signedHeaders ?? [
    "(request-target)",
    "host",
    "date",
    ...(input.body != null ? ["digest"] : []),
    ...(headers["content-type"] !== undefined ? ["content-type"] : []),
  ];
  // The library would sign "name: undefined" for a missing header.
  const missing = covered.find((name) => !name.startsWith("(") && !(name.toLowerCase() in headers));
  if (missing !== undefined) throw new Error(`cannot sign missing header ${missing}`);
  // A path (not a URL) makes the library sign the query too, as Mastodon does.
  const request = { method: input.method, url: url.pathname + url.search, headers: { ...headers } };
  const privateKey = toPrivateKey(input.privateKey);
  const key = {
    keyId: input.keyId,
    privateKey: await imported(privateKey, "sign", () =>
      importPrivateKey(pem(privateKey, "pkcs8")),
    ),
  };
  const { signatureHeader } = await signAsDraftToRequest(request, key, [...covered]);
  return { ...headers, signature: signatureHeader };
}

export interface SignRequestRfc9421Input extends SignableRequest {
  /** Covered components; default `@method @target-uri @authority date [content-digest]`. */
  readonly components?: readonly string[];
  /** Signature label (default "sig1"). */
  readonly label?: string;
  /** `created`, seconds since the epoch (default from `now`). */
  readonly created?: number;
  readonly expires?: number;
  readonly nonce?: string;
  readonly tag?: string;
  /** Algorithm (default from the key: rsa-v1_5-sha256, ed25519, …). */
  readonly alg?: string;
  /** Put `alg` in the signature parameters (default true; the RFC B.2 examples leave it out). */
  readonly includeAlg?: boolean;
  readonly contentDigest?: DigestAlgorithm;
  /** Signing time in ms (default now). */
  readonly now?: number;
}

/**
 * Signs a request per RFC 9421 and returns the headers to send: the given ones plus `host`,
 * `date`, `content-digest` (with a body), `signature-input` and `signature`. Parameter order is
 * created, keyid, alg, expires, nonce, tag.
 */
export async function signRequestRfc9421(input: SignRequestRfc9421Input): Promise<SignedHeaders> {
  const now = input.now ?? Date.now();
  const headers = mergedHeaders(new URL(input.url), input.headers, now);
  if (input.body != null) {
    headers["content-digest"] ??= await contentDigestHeader(input.body, input.contentDigest);
  }
  const privateKey = toPrivateKey(input.privateKey);
  const seconds = (s: number | undefined) => (s === undefined ? undefined : new Date(s * 1000));
  const signed = await httpbis.signMessage(
    {
      key: createSigner(privateKey, input.alg ?? algorithmForKey(privateKey), input.keyId),
      name: input.label ?? "sig1",
      fields: [
        ...(input.components ?? [
          "@method",
          "@target-uri",
          "@authority",
          "date",
          ...(input.body != null ? ["content-digest"] : []),
        ]),
      ],
      // Parameters without a value are left out, but for `expires`, which would default to 5 min.
      params: [
        "created",
        "keyid",
        ...(input.includeAlg === false ? [] : ["alg"]),
        ...(input.expires === undefined ? [] : ["expires"]),
        "nonce",
        "tag",
      ],
      paramValues: {
        created: seconds(input.created ?? Math.floor(now / 1000)),
        expires: seconds(input.expires),
        nonce: input.nonce,
        tag: input.tag,
      },
    },
    { method: input.method, url: input.url, headers: { ...headers } },
  );
  return headerRecord(signed.headers);
}

// ---------------------------------------------------------------------------------------------
// Verification

function verifyContext(request: HttpRequestLike, options: VerifyOptions, scheme: SignatureScheme) {
  const fail = (reason: string, keyId?: string): VerifyResult => ({
    ok: false,
    scheme,
    reason,
    ...(keyId !== undefined ? { keyId } : {}),
  });
  return {
    url: new URL(request.url),
    headers: headerRecord(request.headers),
    body: digestSource(request.body),
    now: options.now ?? Date.now(),
    maxSkewMs: options.maxSkewMs ?? DEFAULT_MAX_SKEW_MS,
    requireCoverage: options.requireCoverage ?? true,
    withBody: hasBody(request.body),
    fail,
  };
}

type DraftSignature = ParsedDraftSignature["value"];

/** Parses `keyId="…",algorithm="…",headers="…",signature="…"` (also `created=123`). */
export function parseCavageSignature(value: string): Map<string, string> | null {
  const entries = Object.entries(parseDraftRequestSignatureHeader(value)).filter(
    (entry): entry is [string, string] => entry[1] !== undefined,
  );
  return entries.length > 0 ? new Map(entries) : null;
}

/** Verifies a draft-cavage signature (the `Signature` or `Authorization: Signature` header). */
export async function verifyCavageRequest(
  request: HttpRequestLike,
  fetchKey: PublicKeyFetcher,
  options: VerifyOptions = {},
): Promise<VerifyResult> {
  const { url, headers, body, now, maxSkewMs, requireCoverage, withBody, fail } = verifyContext(
    request,
    options,
    "cavage",
  );
  const parseFor = (target: string): DraftSignature => {
    const parsed = parseRequestSignature(
      { method: request.method, url: target, headers },
      {
        clockSkew: { now: new Date(now), delay: maxSkewMs, forward: maxSkewMs },
        ...(requireCoverage
          ? {
              requiredComponents: {
                draft: ["(request-target)", "host", "date", ...(withBody ? ["digest"] : [])],
              },
            }
          : {}),
      },
    );
    if (parsed.version !== "draft") throw new Error("not a draft-cavage signature");
    return parsed.value;
  };
  let signatures: [DraftSignature, ...DraftSignature[]];
  try {
    // Mastodon signs (request-target) with the query, Fedify without it: accept either. (A path
    // makes the library use it whole; a URL, its pathname alone.)
    signatures = [parseFor(url.pathname + url.search), ...(url.search ? [parseFor(url.href)] : [])];
  } catch (error) {
    return fail(messageOf(error));
  }
  const { keyId, params } = signatures[0];
  const digestFailure = await failureOf(
    (log) =>
      verifyRFC3230DigestHeader(
        { method: request.method, url: url.href, headers },
        body,
        { failOnNoDigest: requireCoverage && withBody, algorithms: ["SHA-256", "SHA-512"] },
        log,
      ),
    "Digest does not match the body",
  );
  if (digestFailure) return fail(digestFailure, keyId);

  const result = await verifyWithKey(fetchKey, keyId, async (key) => {
    let failure = "signature does not verify";
    const algorithm = params.algorithm;
    const publicKey = await imported(key, `verify ${algorithm}`, async () => {
      return (await parseAndImportPublicKey(pem(key, "spki"), ["verify"], algorithm)).publicKey;
    });
    for (const signature of signatures) {
      const ok = await verifyDraftSignature(signature, publicKey, (error) => {
        // "verification simply failed" is the plain mismatch; anything else says more.
        if (!/simply failed/.test(messageOf(error))) failure = messageOf(error);
      });
      if (ok) return null;
    }
    return failure;
  });
  if ("error" in result) return fail(result.error, keyId);
  return {
    ok: true,
    scheme: "cavage",
    keyId,
    owner: result.owner,
    algorithm: params.algorithm ?? "hs2019",
    covered: params.headers,
  };
}

/**
 * The RFC 9421 §2.5 signature base for `request` and the `Signature-Input` member `input` (as
 * `structured-headers` parses it). Throws when a covered component cannot be produced.
 */
export function rfc9421SignatureBase(request: HttpRequestLike, input: InnerList): string {
  const message = {
    method: request.method,
    url: request.url,
    headers: headerRecord(request.headers),
  };
  const base = httpbis.createSignatureBase(
    { fields: input[0].map((item) => serializeItem(item)) },
    message,
  );
  base.push(['"@signature-params"', [serializeInnerList(input)]]);
  return httpbis.formatSignatureBase(base);
}

/** Verifies RFC 9421 signatures (the library checks each labelled one). */
export async function verifyRfc9421Request(
  request: HttpRequestLike,
  fetchKey: PublicKeyFetcher,
  options: VerifyOptions = {},
): Promise<VerifyResult> {
  const { url, headers, body, now, maxSkewMs, requireCoverage, withBody, fail } = verifyContext(
    request,
    options,
    "rfc9421",
  );
  const input = headers["signature-input"];
  if (input === undefined) return fail("no Signature-Input header");
  if (headers.signature === undefined) return fail("no Signature header");
  const digestFailure = await failureOf(
    (log) =>
      verifyRFC9530DigestHeader(
        { method: request.method, url: url.href, headers },
        body,
        {
          failOnNoDigest: requireCoverage && withBody,
          verifyAll: true,
          algorithms: ["sha-256", "sha-512"],
        },
        log,
      ),
    "Content-Digest does not match the body",
  );
  if (digestFailure) return fail(digestFailure);

  // What the signature verified with, recorded by the library's callbacks below.
  const seen: {
    keyId?: string;
    algorithm: string;
    outcome: { owner: string | null } | { error: string };
  } = { algorithm: "", outcome: { error: "no signature verified" } };
  const nowSeconds = Math.floor(now / 1000);
  const skewSeconds = Math.floor(maxSkewMs / 1000);
  try {
    await httpbis.verifyMessage(
      {
        keyLookup: async (params) => ({
          verify: async (data, signature) => {
            const keyId = String(params.keyid ?? "");
            seen.keyId = keyId;
            seen.outcome = await verifyWithKey(fetchKey, keyId, async (key) => {
              seen.algorithm = String(params.alg ?? algorithmForKey(key));
              return (await createVerifier(key, seen.algorithm)(data, signature))
                ? null
                : "signature does not verify";
            });
            return !("error" in seen.outcome);
          },
        }),
        // The library measures the age of `created` against the real clock: widen maxAge by
        // however far `options.now` is behind it, so the window is ±maxSkewMs around `now`.
        notAfter: nowSeconds + skewSeconds,
        maxAge: Math.floor(Date.now() / 1000) - nowSeconds + skewSeconds,
        ...(requireCoverage
          ? {
              requiredParams: ["created", "keyid"],
              requiredFields: ["@method", "@target-uri", ...(withBody ? ["content-digest"] : [])],
            }
          : {}),
      },
      { method: request.method, url: url.href, headers },
    );
  } catch (error) {
    return fail(messageOf(error), seen.keyId);
  }
  const { keyId = "", outcome, algorithm } = seen;
  if ("error" in outcome) return fail(outcome.error, keyId);
  const signed = [...parseDictionary(input).values()].find(
    (member): member is InnerList => isInnerList(member) && member[1].get("keyid") === keyId,
  );
  return {
    ok: true,
    scheme: "rfc9421",
    keyId,
    owner: outcome.owner,
    algorithm,
    covered: signed?.[0].map((item) => serializeItem(item)) ?? [],
  };
}

/** Which scheme a request is signed with, by its headers, or null when it is not signed. */
export function signatureSchemeOf(headers: HeaderInput): SignatureScheme | null {
  const lines = headerLines(headers);
  if (lines.has("signature-input")) return "rfc9421";
  if (lines.has("signature")) return "cavage";
  if (lines.get("authorization")?.some((v) => v.startsWith("Signature "))) return "cavage";
  return null;
}

/**
 * Verifies a signed request, RFC 9421 (`Signature-Input` present) or draft-cavage, checking the
 * clock skew, the body digest and the signature, and returns the keyId or why it failed.
 */
export async function verifyRequest(
  request: HttpRequestLike,
  fetchKey: PublicKeyFetcher,
  options: VerifyOptions = {},
): Promise<VerifyResult> {
  const scheme = signatureSchemeOf(request.headers);
  if (scheme === null) return { ok: false, reason: "request is not signed" };
  if (scheme === "rfc9421") {
    if (options.rfc9421 === "reject") {
      return { ok: false, scheme, reason: "RFC 9421 signatures are not accepted here" };
    }
    return verifyRfc9421Request(request, fetchKey, options);
  }
  return verifyCavageRequest(request, fetchKey, options);
}
