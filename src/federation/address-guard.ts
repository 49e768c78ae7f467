import type { LookupAddress } from "node:dns";
import { lookup as dnsLookup } from "node:dns/promises";
import type { LookupFunction } from "node:net";
import ipaddr from "ipaddr.js";

/** Why an address is not a public destination. */
export type AddressRefusal =
  | "unspecified"
  | "loopback"
  | "private"
  | "link-local"
  | "carrier-grade-nat"
  | "unique-local"
  | "multicast"
  | "broadcast"
  | "reserved";

/**
 * Why a URL is refused: one of its addresses, or the URL itself. "unresolvable" is the one that
 * may pass with time (the name did not resolve now); callers decide what waiting means.
 */
export type UrlRefusal =
  | AddressRefusal
  | "localhost"
  | "unresolvable"
  | "not-http"
  | "credentials"
  | "malformed";

export type AddressVerdict =
  | { readonly ok: true }
  | {
      readonly ok: false;
      readonly reason: UrlRefusal;
      /** What was refused: the IP address, the host name, the scheme, or the URL text. */
      readonly address: string;
    };

export interface ResolvedAddress {
  readonly address: string;
  readonly family: number;
}

/** Every address a name resolves to (node:dns `lookup` with `all: true`). */
export type Resolver = (hostname: string) => Promise<readonly ResolvedAddress[]>;

export interface AddressGuardOptions {
  /** Tests only (FEDERATION_ALLOW_PRIVATE_ADDRESS): every address passes, as a public one. */
  readonly allowPrivateAddress: boolean;
  /** Default: node:dns `lookup`, the resolver node:http connects with. */
  readonly resolve?: Resolver;
  /** How long a name's verdict is reused by `checkUrl` (default 60 s; 0: never). */
  readonly cacheTtlMs?: number;
  readonly now?: () => number;
}

/**
 * Decides whether a URL is a public http(s) destination: the one policy for every address this
 * service posts to (followers' inboxes), so that a remote actor cannot make it send signed
 * requests to loopback, the private network or a cloud metadata endpoint.
 */
export interface AddressGuard {
  /** Expected refusals are values, never thrown. */
  checkUrl(url: string | URL): Promise<AddressVerdict>;
  /**
   * A `lookup` for http(s) agents: resolves afresh at connection time and fails with a
   * NonPublicAddressError if any address is not public, so a name that resolved to a public
   * address when checked cannot connect to a private one later (DNS rebinding). Agents skip
   * `lookup` for IP literals: check the URL first.
   */
  readonly lookup: LookupFunction;
  /**
   * The verdict on a host that is an IP literal (brackets allowed), which agents connect to
   * without any lookup; undefined for a name.
   */
  checkLiteral(host: string): AddressVerdict | undefined;
}

/** A connection refused by the guard's `lookup`. */
export class NonPublicAddressError extends Error {
  readonly code = "ERR_NON_PUBLIC_ADDRESS";
  constructor(readonly verdict: AddressVerdict & { ok: false }) {
    super(`refused to connect to a non-public address: ${verdict.address} (${verdict.reason})`);
    this.name = "NonPublicAddressError";
  }
}

const defaultResolve: Resolver = (hostname) => dnsLookup(hostname, { all: true });
/** Bounds the verdict cache; past it the cache starts again (names are few, fan-outs are not). */
const MAX_CACHED_NAMES = 10_000;

export function createAddressGuard(options: AddressGuardOptions): AddressGuard {
  const resolve = options.resolve ?? defaultResolve;
  const ttlMs = options.cacheTtlMs ?? 60_000;
  const now = options.now ?? Date.now;
  const cache = new Map<string, { verdict: AddressVerdict; until: number }>();

  async function checkName(hostname: string): Promise<AddressVerdict> {
    const cached = cache.get(hostname);
    if (cached && cached.until > now()) return cached.verdict;
    const { verdict } = await resolvePublic(hostname, resolve, options.allowPrivateAddress);
    // A failed lookup is not remembered: the next delivery asks again.
    if (ttlMs > 0 && !(verdict.ok === false && verdict.reason === "unresolvable")) {
      if (cache.size >= MAX_CACHED_NAMES) cache.clear();
      cache.set(hostname, { verdict, until: now() + ttlMs });
    }
    return verdict;
  }

  return {
    async checkUrl(input) {
      const url = parseUrl(input);
      if (!url) return refuse("malformed", String(input));
      if (url.protocol !== "http:" && url.protocol !== "https:") {
        return refuse("not-http", url.protocol);
      }
      if (url.username || url.password) return refuse("credentials", url.host);
      if (options.allowPrivateAddress) return ALLOWED;
      const host = hostOf(url);
      const literal = parseIp(host);
      if (literal) return verdictFor(literal, host);
      if (isLocalhost(host)) return refuse("localhost", host);
      return checkName(host);
    },

    checkLiteral(host) {
      const literal = parseIp(host.replace(/^\[(.*)\]$/, "$1"));
      if (!literal) return undefined;
      return options.allowPrivateAddress ? ALLOWED : verdictFor(literal, host);
    },

    lookup(hostname, lookupOptions, callback) {
      connectable(hostname, familyNumber(lookupOptions.family)).then(
        ([first, ...rest]) => {
          if (lookupOptions.all) callback(null, [first, ...rest]);
          else callback(null, first.address, first.family);
        },
        (error: NodeJS.ErrnoException) => callback(error, ""),
      );
    },
  };

  /** What a connection may use: all addresses public (or allowed), at least one of `family`. */
  async function connectable(
    hostname: string,
    family: number,
  ): Promise<[LookupAddress, ...LookupAddress[]]> {
    const { verdict, addresses } = await resolvePublic(
      hostname,
      resolve,
      options.allowPrivateAddress,
    );
    if (!verdict.ok) {
      throw verdict.reason === "unresolvable"
        ? notFound(`${hostname} does not resolve`)
        : new NonPublicAddressError(verdict);
    }
    const [first, ...rest] = addresses.filter((a) => family === 0 || a.family === family);
    if (!first) throw notFound(`${hostname} has no IPv${family} address`);
    return [first, ...rest];
  }
}

function notFound(message: string): NodeJS.ErrnoException {
  return Object.assign(new Error(message), { code: "ENOTFOUND" });
}

function familyNumber(family: number | "IPv4" | "IPv6" | undefined): number {
  return family === "IPv4" ? 4 : family === "IPv6" ? 6 : (family ?? 0);
}

/** Whether an IP address (no brackets) is public, and if not, why. */
export function classifyAddress(address: string): AddressRefusal | "public" | undefined {
  const ip = parseIp(address);
  return ip && classify(ip);
}

const ALLOWED: AddressVerdict = { ok: true };

function refuse(reason: UrlRefusal, address: string): AddressVerdict {
  return { ok: false, reason, address };
}

function verdictFor(ip: ipaddr.IPv4 | ipaddr.IPv6, address: string): AddressVerdict {
  const kind = classify(ip);
  return kind === "public" ? ALLOWED : refuse(kind, address);
}

/** Resolves a name and checks every address: one non-public address refuses the name. */
async function resolvePublic(
  hostname: string,
  resolve: Resolver,
  allowPrivateAddress: boolean,
): Promise<{ verdict: AddressVerdict; addresses: readonly ResolvedAddress[] }> {
  if (!allowPrivateAddress && isLocalhost(hostname)) {
    return { verdict: refuse("localhost", hostname), addresses: [] };
  }
  let resolved: readonly ResolvedAddress[];
  try {
    resolved = await resolve(hostname);
  } catch {
    return { verdict: refuse("unresolvable", hostname), addresses: [] };
  }
  // Cloudflare's node:dns also lists CNAME targets as addresses: skip what is not an IP (as
  // Fedify does), but an answer without a single IP is no answer.
  const addresses: ResolvedAddress[] = [];
  for (const entry of resolved) {
    const ip = parseIp(entry.address);
    if (!ip) continue;
    if (!allowPrivateAddress) {
      const verdict = verdictFor(ip, entry.address);
      if (!verdict.ok) return { verdict, addresses: [] };
    }
    addresses.push({ address: entry.address, family: ip.kind() === "ipv4" ? 4 : 6 });
  }
  if (addresses.length === 0) return { verdict: refuse("unresolvable", hostname), addresses };
  return { verdict: ALLOWED, addresses };
}

function parseUrl(input: string | URL): URL | undefined {
  if (input instanceof URL) return input;
  try {
    return new URL(input);
  } catch {
    return undefined;
  }
}

/**
 * The host without IPv6 brackets. The URL parser has already written every IPv4 spelling
 * (`2130706433`, `0x7f.1`, `017700000001`, `127.1`) as four decimals, and lower-cased names.
 */
function hostOf(url: URL): string {
  const host = url.hostname;
  return host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
}

/** RFC 6761: `localhost` and its subdomains are loopback, whatever a resolver says. */
function isLocalhost(hostname: string): boolean {
  const name = hostname.toLowerCase().replace(/\.$/, "");
  return name === "localhost" || name.endsWith(".localhost");
}

/** Strict literals only: four dotted decimals or IPv6, as URLs and resolvers write them. */
function parseIp(text: string): ipaddr.IPv4 | ipaddr.IPv6 | undefined {
  if (ipaddr.IPv4.isValidFourPartDecimal(text)) return ipaddr.IPv4.parse(text);
  if (ipaddr.IPv6.isValid(text)) return ipaddr.IPv6.parse(text);
  return undefined;
}

function classify(ip: ipaddr.IPv4 | ipaddr.IPv6): AddressRefusal | "public" {
  return ip instanceof ipaddr.IPv4 ? classifyV4(ip) : classifyV6(ip);
}

function classifyV4(ip: ipaddr.IPv4): AddressRefusal | "public" {
  const range: string = ip.range();
  switch (range) {
    case "unicast":
      return "public";
    case "unspecified":
      return "unspecified";
    case "loopback":
      return "loopback";
    case "private":
      return "private";
    case "linkLocal":
      return "link-local";
    case "carrierGradeNat":
      return "carrier-grade-nat";
    case "multicast":
      return "multicast";
    case "broadcast":
      return "broadcast";
    default:
      // reserved, documentation, benchmarking, AS112, AMT, and any range ipaddr.js adds later.
      return "reserved";
  }
}

function classifyV6(ip: ipaddr.IPv6): AddressRefusal | "public" {
  const p = ip.parts;
  const v4 = (high: number, low: number) =>
    new ipaddr.IPv4([high >> 8, high & 0xff, low >> 8, low & 0xff]);
  // ipaddr.js names more ranges than its types list (site-local, discard, segment routing…).
  const range: string = ip.range();
  switch (range) {
    case "unspecified":
      return "unspecified";
    case "loopback":
      return "loopback";
    case "linkLocal":
      return "link-local";
    case "uniqueLocal":
      return "unique-local";
    case "deprecatedSiteLocal":
      return "private";
    case "multicast":
      return "multicast";
    // IPv6 forms that carry an IPv4 address: judged by the address they reach.
    case "ipv4Mapped": // ::ffff:a.b.c.d
    case "rfc6145": // ::ffff:0:a.b.c.d (SIIT)
      return classifyV4(v4(p[6] as number, p[7] as number));
    case "rfc6052": // NAT64: 64:ff9b::a.b.c.d; the local-use 64:ff9b:1::/48 is not public
      return p[2] === 0 && p[3] === 0 && p[4] === 0 && p[5] === 0
        ? classifyV4(v4(p[6] as number, p[7] as number))
        : "reserved";
    case "6to4": // 2002:AABB:CCDD::/48 routes to AA.BB.CC.DD
      return classifyV4(v4(p[1] as number, p[2] as number));
    case "teredo": {
      // 2001:0:SERVER:flags:port:~CLIENT — both ends must be public.
      const server = classifyV4(v4(p[2] as number, p[3] as number));
      if (server !== "public") return server;
      return classifyV4(v4(~(p[6] as number) & 0xffff, ~(p[7] as number) & 0xffff));
    }
    case "unicast":
      break;
    default:
      return "reserved";
  }
  // ::a.b.c.d, "IPv4-compatible" (deprecated by RFC 4291): never a destination; say why if the
  // address inside is one we refuse anyway.
  if (p.slice(0, 6).every((part) => part === 0)) {
    const inner = classifyV4(v4(p[6] as number, p[7] as number));
    return inner === "public" ? "reserved" : inner;
  }
  // Only 2000::/3 is allocated for global unicast; the rest of the space is reserved.
  return ((p[0] as number) & 0xe000) === 0x2000 ? "public" : "reserved";
}
