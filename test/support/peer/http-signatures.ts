/**
 * HTTP request signatures as the fediverse uses them, written with `node:crypto` only:
 *
 * - draft-cavage-http-signatures-12 (what Mastodon signs and verifies): `Signature: keyId=…,
 *   algorithm="rsa-sha256",headers="(request-target) host date digest content-type",signature=…`
 *   with `Digest: SHA-256=<base64>` and `Date`.
 * - RFC 9421 HTTP Message Signatures (`Signature-Input` + `Signature`, what Fedify tries first),
 *   with RFC 9530 `Content-Digest: sha-256=:<base64>:`.
 *
 * Header records produced here use lowercase names.
 */
import {
  constants,
  createHash,
  createPrivateKey,
  createPublicKey,
  type KeyObject,
  sign,
  verify,
} from "node:crypto";
import {
  isInnerList,
  parseSfDictionary,
  parseSfItem,
  parseSfList,
  type SfDictionary,
  type SfInnerList,
  type SfItem,
  type SfParams,
  serializeInnerList,
  serializeItem,
  serializeMember,
  serializeSfDictionary,
} from "./structured-fields.ts";

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
   * Insist on Mastodon's minimum coverage: (request-target)/@method+target, host/@authority,
   * date/(created)/created, and a digest for requests with a body (default true).
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
// Requests and digests

interface NormalizedRequest {
  readonly method: string;
  readonly url: URL;
  /** Lowercase name → field lines, in order. */
  readonly headers: Map<string, string[]>;
  readonly body: Buffer | null;
}

/** Lowercase-named field lines from any header representation. */
export function headerLines(input: HeaderInput): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const add = (name: string, value: string) => {
    const key = name.toLowerCase();
    const lines = out.get(key);
    if (lines) lines.push(value);
    else out.set(key, [value]);
  };
  if (input instanceof Headers) {
    for (const [name, value] of input) add(name, value);
  } else if (Symbol.iterator in input) {
    for (const [name, value] of input as Iterable<readonly [string, string]>) add(name, value);
  } else {
    for (const [name, value] of Object.entries(input)) {
      if (value === undefined) continue;
      if (typeof value === "string") add(name, value);
      else for (const v of value) add(name, v);
    }
  }
  return out;
}

function bodyBuffer(body: Uint8Array | string | null | undefined): Buffer | null {
  if (body == null) return null;
  return typeof body === "string" ? Buffer.from(body, "utf8") : Buffer.from(body);
}

function normalize(request: HttpRequestLike): NormalizedRequest {
  return {
    method: request.method.toUpperCase(),
    url: new URL(request.url),
    headers: headerLines(request.headers),
    body: bodyBuffer(request.body),
  };
}

/** A field's combined value: trimmed lines joined with ", " (RFC 9110 §5.3). */
function field(request: NormalizedRequest, name: string): string | undefined {
  return request.headers
    .get(name)
    ?.map((line) => line.trim())
    .join(", ");
}

const hasBody = (request: NormalizedRequest) => request.body !== null && request.body.length > 0;

const HASHES = { "sha-256": "sha256", "sha-512": "sha512" } as const;
export type DigestAlgorithm = keyof typeof HASHES;

function hash(algorithm: DigestAlgorithm, body: Uint8Array | string | null | undefined): Buffer {
  return createHash(HASHES[algorithm])
    .update(bodyBuffer(body) ?? Buffer.alloc(0))
    .digest();
}

/** The draft-cavage `Digest` header value: `SHA-256=<base64>`. */
export function digestHeader(body: Uint8Array | string | null | undefined): string {
  return `SHA-256=${hash("sha-256", body).toString("base64")}`;
}

/** The RFC 9530 `Content-Digest` header value, e.g. `sha-256=:<base64>:`. */
export function contentDigestHeader(
  body: Uint8Array | string | null | undefined,
  algorithm: DigestAlgorithm = "sha-256",
): string {
  return `${algorithm}=:${hash(algorithm, body).toString("base64")}:`;
}

/** Checks a `Digest` header (draft-cavage / RFC 3230) against the body. */
function checkDigest(value: string, body: Buffer): string | null {
  let supported = 0;
  for (const part of value.split(",")) {
    const eq = part.indexOf("=");
    if (eq < 0) return "malformed Digest header";
    const algorithm = part.slice(0, eq).trim().toLowerCase() as DigestAlgorithm;
    if (!(algorithm in HASHES)) continue;
    supported++;
    if (part.slice(eq + 1).trim() !== hash(algorithm, body).toString("base64")) {
      return `Digest ${algorithm} does not match the body`;
    }
  }
  return supported > 0 ? null : "Digest header has no SHA-256 or SHA-512 value";
}

/** Checks an RFC 9530 `Content-Digest` header against the body. */
function checkContentDigest(value: string, body: Buffer): string | null {
  let dict: SfDictionary;
  try {
    dict = parseSfDictionary(value);
  } catch {
    return "malformed Content-Digest header";
  }
  let supported = 0;
  for (const [algorithm, member] of dict) {
    if (!(algorithm in HASHES)) continue;
    supported++;
    if (isInnerList(member) || !(member.value instanceof Uint8Array)) {
      return "malformed Content-Digest header";
    }
    const expected = hash(algorithm as DigestAlgorithm, body);
    if (!expected.equals(Buffer.from(member.value))) {
      return `Content-Digest ${algorithm} does not match the body`;
    }
  }
  return supported > 0 ? null : "Content-Digest has no sha-256 or sha-512 value";
}

// ---------------------------------------------------------------------------------------------
// Keys and algorithms

function toPrivateKey(key: KeyObject | string): KeyObject {
  return typeof key === "string" ? createPrivateKey(key) : key;
}

function toPublicKey(key: KeyObject | string): KeyObject {
  if (typeof key === "string") return createPublicKey(key);
  return key.type === "private" ? createPublicKey(key) : key;
}

type Algorithm = {
  readonly hash: "sha256" | "sha384" | "sha512" | null;
  readonly keyTypes: readonly string[];
  readonly padding?: "pss";
  readonly p1363?: boolean;
};

/** RFC 9421 §6.2 algorithms (HMAC omitted: fediverse keys are asymmetric). */
const RFC9421_ALGORITHMS: Record<string, Algorithm> = {
  "rsa-v1_5-sha256": { hash: "sha256", keyTypes: ["rsa"] },
  "rsa-pss-sha512": { hash: "sha512", keyTypes: ["rsa", "rsa-pss"], padding: "pss" },
  "ecdsa-p256-sha256": { hash: "sha256", keyTypes: ["ec"], p1363: true },
  "ecdsa-p384-sha384": { hash: "sha384", keyTypes: ["ec"], p1363: true },
  ed25519: { hash: null, keyTypes: ["ed25519"] },
};

/** draft-cavage algorithm names; `hs2019` means "derive from the key" (Mastodon: RSA → SHA-256). */
const CAVAGE_ALGORITHMS: Record<string, Algorithm> = {
  "rsa-sha256": { hash: "sha256", keyTypes: ["rsa"] },
  "rsa-sha512": { hash: "sha512", keyTypes: ["rsa"] },
  ed25519: { hash: null, keyTypes: ["ed25519"] },
};

function algorithmForKey(key: KeyObject): string | null {
  switch (key.asymmetricKeyType) {
    case "rsa":
      return "rsa-v1_5-sha256";
    case "rsa-pss":
      return "rsa-pss-sha512";
    case "ed25519":
      return "ed25519";
    case "ec": {
      const curve = key.asymmetricKeyDetails?.namedCurve;
      return curve === "prime256v1"
        ? "ecdsa-p256-sha256"
        : curve === "secp384r1"
          ? "ecdsa-p384-sha384"
          : null;
    }
    default:
      return null;
  }
}

function keyOptions(key: KeyObject, algorithm: Algorithm) {
  if (algorithm.padding === "pss")
    return { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 64 };
  if (algorithm.p1363) return { key, dsaEncoding: "ieee-p1363" as const };
  return { key };
}

function signWith(algorithm: Algorithm, key: KeyObject, data: string): Buffer {
  return sign(algorithm.hash, Buffer.from(data, "utf8"), keyOptions(key, algorithm));
}

function verifyWith(
  algorithm: Algorithm,
  key: KeyObject,
  data: string,
  signature: Uint8Array,
): boolean {
  if (!algorithm.keyTypes.includes(key.asymmetricKeyType ?? "")) return false;
  try {
    return verify(algorithm.hash, Buffer.from(data, "utf8"), keyOptions(key, algorithm), signature);
  } catch {
    return false;
  }
}

interface ResolvedKey {
  readonly key: KeyObject;
  readonly owner: string | null;
}

async function resolveKey(
  fetchKey: PublicKeyFetcher,
  keyId: string,
  refresh: boolean,
): Promise<ResolvedKey | string> {
  let info: Awaited<ReturnType<PublicKeyFetcher>>;
  try {
    info = await fetchKey(keyId, { refresh });
  } catch (error) {
    return `could not fetch key ${keyId}: ${error instanceof Error ? error.message : String(error)}`;
  }
  if (info == null) return `unknown key ${keyId}`;
  try {
    if (typeof info === "string") return { key: toPublicKey(info), owner: null };
    return { key: toPublicKey(info.publicKey), owner: info.owner ?? null };
  } catch (error) {
    return `unusable key ${keyId}: ${error instanceof Error ? error.message : String(error)}`;
  }
}

/**
 * Verifies with the cached key and, if that fails, once more with a refreshed key (the signer may
 * have rotated its key), as Mastodon does.
 */
async function verifyWithKey(
  fetchKey: PublicKeyFetcher,
  keyId: string,
  check: (key: KeyObject) => string | null,
): Promise<{ owner: string | null } | { error: string }> {
  let lastError = "";
  for (const refresh of [false, true]) {
    const resolved = await resolveKey(fetchKey, keyId, refresh);
    if (typeof resolved === "string") {
      lastError = resolved;
      continue;
    }
    const error = check(resolved.key);
    if (error === null) return { owner: resolved.owner };
    lastError = error;
  }
  return { error: lastError };
}

function checkTime(label: string, timeMs: number, now: number, maxSkewMs: number): string | null {
  if (!Number.isFinite(timeMs)) return `${label} is not a valid time`;
  if (timeMs > now + maxSkewMs) return `${label} is too far in the future`;
  if (timeMs < now - maxSkewMs) return `${label} is too far in the past`;
  return null;
}

// ---------------------------------------------------------------------------------------------
// draft-cavage-http-signatures-12

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

/** RSA keys sign rsa-sha256, Ed25519 keys hs2019. */
export interface SignRequestInput extends SignableRequest {
  /** Headers to cover, default `(request-target) host date [digest] [content-type]`. */
  readonly signedHeaders?: readonly string[];
  /** Signing time in ms (default now); sets `Date` unless `headers` already has one. */
  readonly now?: number;
}

/** Lowercase header record carrying the input headers plus `host`, `date`, `digest`, … */
export type SignedHeaders = Record<string, string>;

function mergedHeaders(url: URL, input: HeaderInput | undefined, now: number): SignedHeaders {
  const headers: SignedHeaders = {};
  for (const [name, lines] of headerLines(input ?? {})) headers[name] = lines.join(", ");
  headers.host ??= url.host;
  headers.date ??= new Date(now).toUTCString();
  return headers;
}

/**
 * Signs a request the way Mastodon does (draft-cavage-http-signatures-12) and returns the headers
 * to send: the given ones plus `host`, `date`, `digest` (when there is a body) and `signature`.
 */
export function signRequest(input: SignRequestInput): SignedHeaders {
  const url = new URL(input.url);
  const body = bodyBuffer(input.body);
  const headers = mergedHeaders(url, input.headers, input.now ?? Date.now());
  if (body !== null) headers.digest ??= digestHeader(body);
  const privateKey = toPrivateKey(input.privateKey);
  const covered = (
    input.signedHeaders ?? [
      "(request-target)",
      "host",
      "date",
      ...(body !== null ? ["digest"] : []),
      ...(headers["content-type"] !== undefined ? ["content-type"] : []),
    ]
  ).map((name) => name.toLowerCase());
  const lines = covered.map((name) => {
    if (name === "(request-target)") {
      return `${name}: ${input.method.toLowerCase()} ${url.pathname}${url.search}`;
    }
    const value = headers[name];
    if (value === undefined) throw new Error(`cannot sign missing header ${name}`);
    return `${name}: ${value.trim()}`;
  });
  const algorithmName = privateKey.asymmetricKeyType === "rsa" ? "rsa-sha256" : "hs2019";
  const algorithm =
    privateKey.asymmetricKeyType === "rsa"
      ? CAVAGE_ALGORITHMS["rsa-sha256"]
      : RFC9421_ALGORITHMS[algorithmForKey(privateKey) ?? ""];
  if (!algorithm) throw new Error(`unsupported key type ${privateKey.asymmetricKeyType}`);
  const signature = signWith(algorithm, privateKey, lines.join("\n")).toString("base64");
  headers.signature =
    `keyId="${input.keyId}",algorithm="${algorithmName}",` +
    `headers="${covered.join(" ")}",signature="${signature}"`;
  return headers;
}

/** Parses `keyId="…",algorithm="…",headers="…",signature="…"` (also `created=123`). */
export function parseCavageSignature(value: string): Map<string, string> | null {
  const params = new Map<string, string>();
  const pattern = /\s*([A-Za-z]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s"]*))\s*(,|$)/y;
  let pos = 0;
  const text = value.trim();
  while (pos < text.length) {
    pattern.lastIndex = pos;
    const match = pattern.exec(text);
    if (!match || match[0].length === 0) return null;
    const [whole, name = "", quoted, bare] = match;
    params.set(name, quoted !== undefined ? quoted.replace(/\\(.)/g, "$1") : (bare ?? ""));
    pos += whole.length;
  }
  return params;
}

/** Verifies a draft-cavage signature (the `Signature` or `Authorization: Signature` header). */
export async function verifyCavageRequest(
  request: HttpRequestLike,
  fetchKey: PublicKeyFetcher,
  options: VerifyOptions = {},
): Promise<VerifyResult> {
  const req = normalize(request);
  const fail = (reason: string, keyId?: string): VerifyResult => ({
    ok: false,
    scheme: "cavage",
    reason,
    ...(keyId !== undefined ? { keyId } : {}),
  });
  const now = options.now ?? Date.now();
  const maxSkewMs = options.maxSkewMs ?? DEFAULT_MAX_SKEW_MS;
  const requireCoverage = options.requireCoverage ?? true;

  let header = field(req, "signature");
  if (header === undefined) {
    const authorization = field(req, "authorization");
    if (authorization?.startsWith("Signature ")) header = authorization.slice("Signature ".length);
  }
  if (header === undefined) return fail("no Signature header");
  const params = parseCavageSignature(header);
  if (!params) return fail("malformed Signature header");
  const keyId = params.get("keyId");
  const signatureB64 = params.get("signature");
  if (!keyId) return fail("Signature header has no keyId");
  if (!signatureB64) return fail("Signature header has no signature", keyId);
  const covered = (params.get("headers") ?? "date").toLowerCase().split(/\s+/).filter(Boolean);
  if (new Set(covered).size !== covered.length) return fail("headers lists a header twice", keyId);

  if (requireCoverage) {
    const needed = ["(request-target)", "host"];
    if (!covered.includes("date") && !covered.includes("(created)")) needed.push("date");
    if (hasBody(req)) needed.push("digest");
    const missing = needed.filter((name) => !covered.includes(name));
    if (missing.length > 0) return fail(`signature does not cover ${missing.join(", ")}`, keyId);
  }

  const date = field(req, "date");
  if (date !== undefined) {
    const error = checkTime("Date", Date.parse(date), now, maxSkewMs);
    if (error) return fail(error, keyId);
  } else if (covered.includes("date")) {
    return fail("signature covers date but there is no Date header", keyId);
  }
  if (covered.includes("(created)")) {
    const created = Number(params.get("created"));
    if (!Number.isInteger(created))
      return fail("(created) is covered but created is missing", keyId);
    if (created * 1000 > now + maxSkewMs) return fail("created is in the future", keyId);
  }
  if (covered.includes("(expires)")) {
    const expires = Number(params.get("expires"));
    if (!Number.isInteger(expires))
      return fail("(expires) is covered but expires is missing", keyId);
    if (expires * 1000 < now) return fail("signature has expired", keyId);
  }

  const digest = field(req, "digest");
  if (digest !== undefined) {
    const error = checkDigest(digest, req.body ?? Buffer.alloc(0));
    if (error) return fail(error, keyId);
  } else if (covered.includes("digest")) {
    return fail("signature covers digest but there is no Digest header", keyId);
  }

  // (request-target) is "method path?query"; some signers leave the query out, so try both.
  const targets = [`${req.url.pathname}${req.url.search}`];
  if (req.url.search) targets.push(req.url.pathname);
  const signingStrings: string[] = [];
  for (const target of targets) {
    const lines: string[] = [];
    for (const name of covered) {
      if (name === "(request-target)") {
        lines.push(`${name}: ${req.method.toLowerCase()} ${target}`);
      } else if (name === "(created)" || name === "(expires)") {
        lines.push(`${name}: ${params.get(name.slice(1, -1)) ?? ""}`);
      } else {
        const value = field(req, name);
        if (value === undefined) return fail(`signed header ${name} is missing`, keyId);
        lines.push(`${name}: ${value}`);
      }
    }
    signingStrings.push(lines.join("\n"));
  }

  const algorithmParam = params.get("algorithm")?.toLowerCase() ?? "hs2019";
  const signature = Buffer.from(signatureB64, "base64");
  let algorithmUsed = algorithmParam;
  const result = await verifyWithKey(fetchKey, keyId, (key) => {
    let algorithm: Algorithm | undefined;
    if (algorithmParam === "hs2019") {
      const derived = algorithmForKey(key);
      algorithm = derived === null ? undefined : RFC9421_ALGORITHMS[derived];
    } else {
      algorithm = CAVAGE_ALGORITHMS[algorithmParam];
    }
    if (!algorithm) return `unsupported algorithm ${algorithmParam}`;
    if (!algorithm.keyTypes.includes(key.asymmetricKeyType ?? "")) {
      return `algorithm ${algorithmParam} does not fit a ${key.asymmetricKeyType} key`;
    }
    algorithmUsed =
      algorithmParam === "hs2019" ? `hs2019 (${algorithmForKey(key)})` : algorithmParam;
    return signingStrings.some((s) => verifyWith(algorithm, key, s, signature))
      ? null
      : "signature does not verify";
  });
  if ("error" in result) return fail(result.error, keyId);
  return {
    ok: true,
    scheme: "cavage",
    keyId,
    owner: result.owner,
    algorithm: algorithmUsed,
    covered,
  };
}

// ---------------------------------------------------------------------------------------------
// RFC 9421 HTTP Message Signatures

function componentName(item: SfItem): string {
  if (typeof item.value !== "string") throw new Error("component identifiers must be strings");
  return item.value;
}

function queryParams(url: URL): [string, string][] {
  if (!url.search) return [];
  return url.search
    .slice(1)
    .split("&")
    .filter(Boolean)
    .map((pair) => {
      const eq = pair.indexOf("=");
      const [name, value] = eq < 0 ? [pair, ""] : [pair.slice(0, eq), pair.slice(eq + 1)];
      const decode = (s: string) => decodeURIComponent(s.replace(/\+/g, " "));
      return [decode(name), decode(value)];
    });
}

/** RFC 9421 §2.2.8: names and values percent-encoded as application/x-www-form-urlencoded. */
const formEncode = (s: string) => new URLSearchParams([["", s]]).toString().slice(1);

function derivedComponent(req: NormalizedRequest, name: string, params: SfParams): string {
  const { url } = req;
  switch (name) {
    case "@method":
      return req.method;
    case "@target-uri":
      return url.href;
    case "@authority":
      return url.host.toLowerCase();
    case "@scheme":
      return url.protocol.slice(0, -1).toLowerCase();
    case "@request-target":
      return `${url.pathname}${url.search}`;
    case "@path":
      return url.pathname || "/";
    case "@query":
      return url.search || "?";
    case "@query-param": {
      const wanted = params.get("name");
      if (typeof wanted !== "string") throw new Error("@query-param needs a name parameter");
      const values = queryParams(url).filter(([n]) => n === wanted);
      if (values.length !== 1) throw new Error(`@query-param ${wanted} must occur exactly once`);
      return formEncode(values[0]?.[1] ?? "");
    }
    default:
      throw new Error(`unsupported derived component ${name}`);
  }
}

function fieldComponent(req: NormalizedRequest, name: string, params: SfParams): string {
  const lines = req.headers.get(name);
  if (lines === undefined) throw new Error(`covered field ${name} is missing`);
  for (const param of params.keys()) {
    if (param !== "sf" && param !== "key" && param !== "bs") {
      throw new Error(`unsupported component parameter ${param} on ${name}`);
    }
  }
  const combined = lines.map((line) => line.trim()).join(", ");
  if (params.has("bs")) {
    return lines
      .map((line) => `:${Buffer.from(line.trim(), "latin1").toString("base64")}:`)
      .join(", ");
  }
  const key = params.get("key");
  if (typeof key === "string") {
    const member = parseSfDictionary(combined).get(key);
    if (member === undefined) throw new Error(`${name} has no member ${key}`);
    return serializeMember(member);
  }
  if (params.has("sf")) {
    try {
      return serializeSfDictionary(parseSfDictionary(combined));
    } catch {
      try {
        return parseSfList(combined).map(serializeMember).join(", ");
      } catch {
        return serializeItem(parseSfItem(combined));
      }
    }
  }
  return combined;
}

/**
 * The RFC 9421 §2.5 signature base for `request` and the `Signature-Input` member `input`.
 * Throws when a covered component cannot be produced.
 */
export function rfc9421SignatureBase(request: HttpRequestLike, input: SfInnerList): string {
  return signatureBase(normalize(request), input);
}

function signatureBase(req: NormalizedRequest, input: SfInnerList): string {
  const seen = new Set<string>();
  const lines = input.items.map((item) => {
    const id = serializeItem(item);
    if (seen.has(id)) throw new Error(`component ${id} is covered twice`);
    seen.add(id);
    const name = componentName(item);
    const value = name.startsWith("@")
      ? derivedComponent(req, name, item.params)
      : fieldComponent(req, name, item.params);
    return `${id}: ${value}`;
  });
  lines.push(`"@signature-params": ${serializeInnerList(input)}`);
  return lines.join("\n");
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
export function signRequestRfc9421(input: SignRequestRfc9421Input): SignedHeaders {
  const url = new URL(input.url);
  const body = bodyBuffer(input.body);
  const now = input.now ?? Date.now();
  const headers = mergedHeaders(url, input.headers, now);
  if (body !== null) headers["content-digest"] ??= contentDigestHeader(body, input.contentDigest);
  const privateKey = toPrivateKey(input.privateKey);
  const algName = input.alg ?? algorithmForKey(privateKey);
  const algorithm = algName === null ? undefined : RFC9421_ALGORITHMS[algName];
  if (!algName || !algorithm) throw new Error(`unsupported algorithm ${algName}`);
  const components = input.components ?? [
    "@method",
    "@target-uri",
    "@authority",
    "date",
    ...(body !== null ? ["content-digest"] : []),
  ];
  const params: SfParams = new Map();
  params.set("created", input.created ?? Math.floor(now / 1000));
  params.set("keyid", input.keyId);
  if (input.includeAlg ?? true) params.set("alg", algName);
  if (input.expires !== undefined) params.set("expires", input.expires);
  if (input.nonce !== undefined) params.set("nonce", input.nonce);
  if (input.tag !== undefined) params.set("tag", input.tag);
  const signatureInput: SfInnerList = {
    items: components.map((c) => parseSfItem(c.startsWith('"') ? c : `"${c}"`)),
    params,
  };
  const req: NormalizedRequest = {
    method: input.method.toUpperCase(),
    url,
    headers: headerLines(headers),
    body,
  };
  const base = signatureBase(req, signatureInput);
  const signature = signWith(algorithm, privateKey, base);
  const label = input.label ?? "sig1";
  headers["signature-input"] = `${label}=${serializeInnerList(signatureInput)}`;
  headers.signature = `${label}=:${signature.toString("base64")}:`;
  return headers;
}

/** Verifies RFC 9421 signatures; succeeds if any labelled signature verifies. */
export async function verifyRfc9421Request(
  request: HttpRequestLike,
  fetchKey: PublicKeyFetcher,
  options: VerifyOptions = {},
): Promise<VerifyResult> {
  const req = normalize(request);
  const now = options.now ?? Date.now();
  const maxSkewMs = options.maxSkewMs ?? DEFAULT_MAX_SKEW_MS;
  const requireCoverage = options.requireCoverage ?? true;
  const fail = (reason: string, keyId?: string): VerifyResult => ({
    ok: false,
    scheme: "rfc9421",
    reason,
    ...(keyId !== undefined ? { keyId } : {}),
  });

  const inputHeader = field(req, "signature-input");
  const signatureHeader = field(req, "signature");
  if (inputHeader === undefined) return fail("no Signature-Input header");
  if (signatureHeader === undefined) return fail("no Signature header");
  let inputs: SfDictionary;
  let signatures: SfDictionary;
  try {
    inputs = parseSfDictionary(inputHeader);
    signatures = parseSfDictionary(signatureHeader);
  } catch (error) {
    return fail(`malformed signature headers: ${error instanceof Error ? error.message : error}`);
  }
  if (hasBody(req)) {
    const contentDigest = field(req, "content-digest");
    if (contentDigest !== undefined) {
      const error = checkContentDigest(contentDigest, req.body ?? Buffer.alloc(0));
      if (error) return fail(error);
    }
  }

  let last: VerifyResult = fail("no signatures in Signature-Input");
  for (const [label, input] of inputs) {
    const sigMember = signatures.get(label);
    if (!isInnerList(input)) {
      last = fail(`Signature-Input ${label} is not an inner list`);
      continue;
    }
    const keyId = input.params.get("keyid");
    if (typeof keyId !== "string") {
      last = fail(`signature ${label} has no keyid`);
      continue;
    }
    if (!sigMember || isInnerList(sigMember) || !(sigMember.value instanceof Uint8Array)) {
      last = fail(`no signature value for ${label}`, keyId);
      continue;
    }
    const signature = sigMember.value;
    let covered: string[];
    try {
      covered = input.items.map(componentName);
    } catch (error) {
      last = fail(String(error), keyId);
      continue;
    }
    const created = input.params.get("created");
    const expires = input.params.get("expires");
    if (created !== undefined && typeof created !== "number") {
      last = fail("created is not an integer", keyId);
      continue;
    }
    if (expires !== undefined && typeof expires !== "number") {
      last = fail("expires is not an integer", keyId);
      continue;
    }
    if (requireCoverage) {
      const missing: string[] = [];
      if (created === undefined) missing.push("created");
      if (!covered.includes("@method")) missing.push("@method");
      const hasTarget =
        covered.includes("@target-uri") ||
        (covered.includes("@authority") &&
          (covered.includes("@path") || covered.includes("@request-target")));
      if (!hasTarget) missing.push("@target-uri (or @authority and @path)");
      if (hasBody(req) && !covered.includes("content-digest")) missing.push("content-digest");
      if (missing.length > 0) {
        last = fail(`signature ${label} does not cover ${missing.join(", ")}`, keyId);
        continue;
      }
      if (hasBody(req) && field(req, "content-digest") === undefined) {
        last = fail("no Content-Digest header", keyId);
        continue;
      }
    }
    if (created !== undefined) {
      const error = checkTime("created", created * 1000, now, maxSkewMs);
      if (error) {
        last = fail(error, keyId);
        continue;
      }
    }
    if (expires !== undefined && expires * 1000 < now) {
      last = fail("signature has expired", keyId);
      continue;
    }
    let base: string;
    try {
      base = signatureBase(req, input);
    } catch (error) {
      last = fail(error instanceof Error ? error.message : String(error), keyId);
      continue;
    }
    const algParam = input.params.get("alg");
    if (algParam !== undefined && typeof algParam !== "string") {
      last = fail("alg is not a string", keyId);
      continue;
    }
    let algorithmUsed = algParam ?? "";
    const result = await verifyWithKey(fetchKey, keyId, (key) => {
      const name = algParam ?? algorithmForKey(key);
      const algorithm = name === null ? undefined : RFC9421_ALGORITHMS[name];
      if (!name || !algorithm) return `unsupported algorithm ${name}`;
      if (!algorithm.keyTypes.includes(key.asymmetricKeyType ?? "")) {
        return `algorithm ${name} does not fit a ${key.asymmetricKeyType} key`;
      }
      algorithmUsed = name;
      return verifyWith(algorithm, key, base, signature) ? null : "signature does not verify";
    });
    if ("error" in result) {
      last = fail(result.error, keyId);
      continue;
    }
    return {
      ok: true,
      scheme: "rfc9421",
      keyId,
      owner: result.owner,
      algorithm: algorithmUsed,
      covered: input.items.map(serializeItem),
    };
  }
  return last;
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
