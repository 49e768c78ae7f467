import type { LookupAddress } from "node:dns";
import { describe, expect, it } from "vitest";
import {
  type AddressVerdict,
  classifyAddress,
  createAddressGuard,
  NonPublicAddressError,
  type Resolver,
} from "../../src/federation/address-guard.ts";

/** A resolver that knows a few names, and fails the test if asked about any other. */
function resolverFor(names: Record<string, readonly string[]>) {
  const asked: string[] = [];
  const resolve: Resolver = async (hostname) => {
    asked.push(hostname);
    const addresses = names[hostname];
    if (!addresses)
      throw Object.assign(new Error(`queryA ENOTFOUND ${hostname}`), { code: "ENOTFOUND" });
    return addresses.map((address) => ({ address, family: address.includes(":") ? 6 : 4 }));
  };
  return { resolve, asked };
}

const strict = (resolve?: Resolver) =>
  createAddressGuard({
    allowPrivateAddress: false,
    cacheTtlMs: 0,
    ...(resolve ? { resolve } : {}),
  });

/** URL -> [reason, the address named in the refusal]. */
const REFUSED: ReadonlyArray<[string, string, string]> = [
  // Loopback, and the spellings of it the URL parser turns into 127.0.0.1.
  ["http://127.0.0.1/inbox", "loopback", "127.0.0.1"],
  ["http://127.1.2.3/inbox", "loopback", "127.1.2.3"],
  ["http://2130706433/", "loopback", "127.0.0.1"],
  ["http://0x7f.1/", "loopback", "127.0.0.1"],
  ["http://0x7f000001/", "loopback", "127.0.0.1"],
  ["http://017700000001/", "loopback", "127.0.0.1"],
  ["http://0177.0.0.1/", "loopback", "127.0.0.1"],
  ["http://127.1/", "loopback", "127.0.0.1"],
  ["http://127.0.0.1./", "loopback", "127.0.0.1"],
  ["https://127.0.0.1:8443/users/x/inbox", "loopback", "127.0.0.1"],
  ["http://[::1]/", "loopback", "::1"],
  ["http://[0:0:0:0:0:0:0:1]/", "loopback", "::1"],
  // IPv4 inside IPv6: mapped, compatible, translated, NAT64, 6to4, Teredo.
  ["http://[::ffff:127.0.0.1]/", "loopback", "::ffff:7f00:1"],
  ["http://[::ffff:7f00:1]/", "loopback", "::ffff:7f00:1"],
  ["http://[0:0:0:0:0:ffff:127.0.0.1]/", "loopback", "::ffff:7f00:1"],
  ["http://[::ffff:169.254.169.254]/", "link-local", "::ffff:a9fe:a9fe"],
  ["http://[::ffff:10.0.0.1]/", "private", "::ffff:a00:1"],
  ["http://[::127.0.0.1]/", "loopback", "::7f00:1"],
  ["http://[::8.8.8.8]/", "reserved", "::808:808"],
  ["http://[::ffff:0:127.0.0.1]/", "loopback", "::ffff:0:7f00:1"],
  ["http://[64:ff9b::127.0.0.1]/", "loopback", "64:ff9b::7f00:1"],
  ["http://[64:ff9b::192.168.0.1]/", "private", "64:ff9b::c0a8:1"],
  ["http://[64:ff9b:1::808:808]/", "reserved", "64:ff9b:1::808:808"],
  ["http://[2002:7f00:1::1]/", "loopback", "2002:7f00:1::1"],
  ["http://[2002:a9fe:a9fe::]/", "link-local", "2002:a9fe:a9fe::"],
  // Teredo, client 127.0.0.1 (stored inverted: 80ff:fffe) behind a public server.
  [
    "http://[2001:0:4136:e378:8000:63bf:80ff:fffe]/",
    "loopback",
    "2001:0:4136:e378:8000:63bf:80ff:fffe",
  ],
  // Private networks, link-local and the cloud metadata endpoint, shared address space.
  ["http://10.0.0.1/", "private", "10.0.0.1"],
  ["http://172.16.0.1/", "private", "172.16.0.1"],
  ["http://172.31.255.254/", "private", "172.31.255.254"],
  ["http://192.168.1.1/", "private", "192.168.1.1"],
  ["http://169.254.169.254/latest/meta-data/", "link-local", "169.254.169.254"],
  ["http://2852039166/latest/meta-data/", "link-local", "169.254.169.254"],
  ["http://100.64.0.1/", "carrier-grade-nat", "100.64.0.1"],
  ["http://100.127.255.254/", "carrier-grade-nat", "100.127.255.254"],
  ["http://[fc00::1]/", "unique-local", "fc00::1"],
  ["http://[fd12:3456:789a::1]/", "unique-local", "fd12:3456:789a::1"],
  ["http://[fe80::1]/", "link-local", "fe80::1"],
  ["http://[fec0::1]/", "private", "fec0::1"],
  // Nowhere, everywhere, and what is not for hosts.
  ["http://0.0.0.0/", "unspecified", "0.0.0.0"],
  ["http://0/", "unspecified", "0.0.0.0"],
  ["http://0.1.2.3/", "unspecified", "0.1.2.3"],
  ["http://[::]/", "unspecified", "::"],
  ["http://224.0.0.1/", "multicast", "224.0.0.1"],
  ["http://239.255.255.250/", "multicast", "239.255.255.250"],
  ["http://[ff02::1]/", "multicast", "ff02::1"],
  ["http://255.255.255.255/", "broadcast", "255.255.255.255"],
  ["http://240.0.0.1/", "reserved", "240.0.0.1"],
  ["http://192.0.2.1/", "reserved", "192.0.2.1"],
  ["http://198.18.0.1/", "reserved", "198.18.0.1"],
  ["http://[2001:db8::1]/", "reserved", "2001:db8::1"],
  ["http://[100::1]/", "reserved", "100::1"],
  ["http://[4000::1]/", "reserved", "4000::1"],
  // Names that are loopback by definition (RFC 6761), never resolved.
  ["http://localhost/", "localhost", "localhost"],
  ["http://LOCALHOST:3000/inbox", "localhost", "localhost"],
  ["http://localhost./", "localhost", "localhost."],
  ["http://inbox.localhost/", "localhost", "inbox.localhost"],
  // Not a web address, or one carrying credentials.
  ["ftp://93.184.216.34/inbox", "not-http", "ftp:"],
  ["file:///etc/passwd", "not-http", "file:"],
  ["gopher://93.184.216.34:70/", "not-http", "gopher:"],
  ["data:application/json,{}", "not-http", "data:"],
  ["https://user:secret@93.184.216.34/inbox", "credentials", "93.184.216.34"],
  ["https://user@93.184.216.34/inbox", "credentials", "93.184.216.34"],
  ["https://:secret@social.example/inbox", "credentials", "social.example"],
  ["not a url", "malformed", "not a url"],
  ["/users/alice/inbox", "malformed", "/users/alice/inbox"],
];

const ALLOWED: readonly string[] = [
  "https://93.184.216.34/inbox",
  "http://8.8.8.8/",
  "https://1.1.1.1:8443/users/x/inbox",
  "https://100.63.255.255/",
  "https://100.128.0.1/",
  "https://172.32.0.1/",
  "https://[2606:4700:4700::1111]/inbox",
  "https://[2a01:4f8::1]/",
  "https://[::ffff:8.8.8.8]/",
  "https://[64:ff9b::8.8.8.8]/",
  "https://[2002:808:808::1]/",
];

describe("address guard", () => {
  it.each(REFUSED)("refuses %s (%s)", async (url, reason, address) => {
    const { resolve, asked } = resolverFor({ "social.example": ["93.184.216.34"] });
    expect(await strict(resolve).checkUrl(url)).toEqual({ ok: false, reason, address });
    expect(asked).toEqual([]); // decided from the URL alone
  });

  it.each(ALLOWED)("allows %s", async (url) => {
    expect(await strict().checkUrl(url)).toEqual({ ok: true });
    expect(await strict().checkUrl(new URL(url))).toEqual({ ok: true });
  });

  it("resolves names, and refuses one if any of its addresses is not public", async () => {
    const { resolve, asked } = resolverFor({
      "mastodon.example": ["93.184.216.34", "2606:4700::6810:84e5"],
      "split.example": ["93.184.216.34", "10.1.2.3"],
      "sneaky.example": ["2606:4700::6810:84e5", "::ffff:127.0.0.1"],
      "metadata.example": ["169.254.169.254"],
      "cname-only.example": ["target.example"],
      "empty.example": [],
    });
    const guard = strict(resolve);
    const check = (host: string) => guard.checkUrl(`https://${host}/users/alice/inbox`);
    expect(await check("mastodon.example")).toEqual({ ok: true });
    expect(await check("split.example")).toEqual({
      ok: false,
      reason: "private",
      address: "10.1.2.3",
    });
    expect(await check("sneaky.example")).toEqual({
      ok: false,
      reason: "loopback",
      address: "::ffff:127.0.0.1",
    });
    expect(await check("metadata.example")).toEqual({
      ok: false,
      reason: "link-local",
      address: "169.254.169.254",
    });
    for (const host of ["cname-only.example", "empty.example", "nxdomain.example"]) {
      expect(await check(host)).toEqual({ ok: false, reason: "unresolvable", address: host });
    }
    expect(asked).toContain("mastodon.example");
  });

  it("reuses a name's verdict for a while, but never a failed lookup", async () => {
    let clock = 0;
    const { resolve, asked } = resolverFor({ "social.example": ["93.184.216.34"] });
    const guard = createAddressGuard({
      allowPrivateAddress: false,
      resolve,
      cacheTtlMs: 1_000,
      now: () => clock,
    });
    await guard.checkUrl("https://social.example/inbox");
    await guard.checkUrl("https://social.example/users/bob/inbox");
    expect(asked).toEqual(["social.example"]);
    clock = 1_001;
    await guard.checkUrl("https://social.example/inbox");
    await guard.checkUrl("https://gone.example/inbox");
    await guard.checkUrl("https://gone.example/inbox");
    expect(asked).toEqual(["social.example", "social.example", "gone.example", "gone.example"]);
  });

  it("allows every address with FEDERATION_ALLOW_PRIVATE_ADDRESS (tests), but not other schemes or credentials", async () => {
    const { resolve, asked } = resolverFor({});
    const guard = createAddressGuard({ allowPrivateAddress: true, resolve });
    for (const url of ["http://127.0.0.1:8080/inbox", "http://localhost/", "http://[fd00::1]/"]) {
      expect(await guard.checkUrl(url)).toEqual({ ok: true });
    }
    expect(asked).toEqual([]);
    expect(await guard.checkUrl("ftp://127.0.0.1/")).toMatchObject({ reason: "not-http" });
    expect(await guard.checkUrl("http://a:b@127.0.0.1/")).toMatchObject({ reason: "credentials" });
  });

  it("classifies bare addresses", () => {
    expect(classifyAddress("127.0.0.1")).toBe("loopback");
    expect(classifyAddress("::ffff:192.168.0.1")).toBe("private");
    expect(classifyAddress("8.8.8.8")).toBe("public");
    expect(classifyAddress("example.com")).toBeUndefined();
    // Only what URLs and resolvers write: other IPv4 spellings are not addresses here.
    expect(classifyAddress("0x7f.1")).toBeUndefined();
  });
});

describe("address guard's lookup for connections", () => {
  function lookup(
    guard: ReturnType<typeof createAddressGuard>,
    hostname: string,
    options: { all?: boolean; family?: number },
  ): Promise<{ address: string | LookupAddress[]; family?: number | undefined }> {
    return new Promise((resolve, reject) => {
      guard.lookup(hostname, options, (error, address, family) =>
        error ? reject(error) : resolve({ address, family }),
      );
    });
  }
  const names = {
    "social.example": ["93.184.216.34", "2606:4700::6810:84e5"],
    "rebound.example": ["93.184.216.34", "127.0.0.1"],
  };

  it("answers as node:dns does, one address or all", async () => {
    const guard = strict(resolverFor(names).resolve);
    expect(await lookup(guard, "social.example", {})).toEqual({
      address: "93.184.216.34",
      family: 4,
    });
    expect(await lookup(guard, "social.example", { family: 6 })).toEqual({
      address: "2606:4700::6810:84e5",
      family: 6,
    });
    expect(await lookup(guard, "social.example", { all: true })).toEqual({
      address: [
        { address: "93.184.216.34", family: 4 },
        { address: "2606:4700::6810:84e5", family: 6 },
      ],
      family: undefined,
    });
  });

  it("fails a connection to a name with a non-public address, and to localhost", async () => {
    const guard = strict(resolverFor(names).resolve);
    const refused = lookup(guard, "rebound.example", { all: true });
    await expect(refused).rejects.toBeInstanceOf(NonPublicAddressError);
    await expect(refused).rejects.toMatchObject({
      code: "ERR_NON_PUBLIC_ADDRESS",
      verdict: { ok: false, reason: "loopback", address: "127.0.0.1" } satisfies AddressVerdict,
    });
    await expect(lookup(guard, "localhost", {})).rejects.toMatchObject({
      verdict: { reason: "localhost" },
    });
    await expect(lookup(guard, "nxdomain.example", {})).rejects.toMatchObject({
      code: "ENOTFOUND",
    });
  });

  it("connects anywhere with FEDERATION_ALLOW_PRIVATE_ADDRESS (tests)", async () => {
    const guard = createAddressGuard({
      allowPrivateAddress: true,
      resolve: resolverFor(names).resolve,
    });
    expect(await lookup(guard, "rebound.example", { family: 4, all: true })).toMatchObject({
      address: [
        { address: "93.184.216.34", family: 4 },
        { address: "127.0.0.1", family: 4 },
      ],
    });
  });
});
