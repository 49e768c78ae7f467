/**
 * Proves the independent fediverse peer (test/support/fediverse-peer.ts) itself: its HTTP
 * signatures (draft-cavage and RFC 9421, against the RFC's own example and against Fedify), its
 * server (WebFinger, actors, inboxes, key ownership, de-duplication) and the peer farm.
 */
import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  webcrypto,
} from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { connect } from "node:net";
import {
  type DocumentLoader,
  signRequest as fedifySignRequest,
  verifyRequest as fedifyVerifyRequest,
  getAuthenticatedDocumentLoader,
} from "@fedify/fedify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  contentDigestHeader,
  createKeyFetcher,
  createNote,
  digestHeader,
  fetchActor,
  follow,
  generatePeerKeyPair,
  type PeerServer,
  type PublicKeyFetcher,
  parseSfDictionary,
  postSigned,
  rfc9421SignatureBase,
  SECURITY_CONTEXT,
  sharedPeerKeyPair,
  signRequest,
  signRequestRfc9421,
  startPeerFarm,
  startPeerServer,
  undo,
  verifyRequest,
  verifyRfc9421Request,
  webfinger,
} from "../support/fediverse-peer.ts";

const keys = sharedPeerKeyPair();
/** Another signer's key (small, to be quick). */
const otherKeys = generatePeerKeyPair(1024);
const ACTOR = "http://127.0.0.1:9/users/alice";
const KEY_ID = `${ACTOR}#main-key`;
const INBOX = "http://127.0.0.1:9/users/bob/inbox";
const BODY = JSON.stringify({
  "@context": "https://www.w3.org/ns/activitystreams",
  id: "http://127.0.0.1:9/activities/1",
  type: "Follow",
  actor: ACTOR,
  object: "http://127.0.0.1:9/users/bob",
});

/** A KeyObject as the WebCrypto key Fedify signs with. */
const toCryptoKey = (key: KeyObject) =>
  webcrypto.subtle.importKey(
    "pkcs8",
    key.export({ type: "pkcs8", format: "der" }),
    { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" },
    true,
    ["sign"],
  );

/** A key fetcher that knows only alice's key. */
const aliceKey: PublicKeyFetcher = async (keyId) =>
  keyId === KEY_ID ? { publicKey: keys.publicKeyPem, owner: ACTOR } : null;

async function signedPost(
  overrides: { now?: number; signedHeaders?: string[]; body?: string } = {},
) {
  const body = overrides.body ?? BODY;
  return {
    method: "POST",
    url: INBOX,
    body,
    headers: await signRequest({
      method: "POST",
      url: INBOX,
      headers: { "content-type": "application/activity+json" },
      body,
      keyId: KEY_ID,
      privateKey: keys.privateKey,
      ...overrides,
    }),
  };
}

describe("draft-cavage HTTP signatures", () => {
  it("signs like Mastodon and the signature verifies", async () => {
    const request = await signedPost();
    expect(request.headers.digest).toBe(await digestHeader(BODY));
    expect(request.headers.digest).toMatch(/^SHA-256=[A-Za-z0-9+/]{43}=$/);
    expect(Date.parse(request.headers.date ?? "")).toBeGreaterThan(Date.now() - 5000);
    expect(request.headers.host).toBe("127.0.0.1:9");
    expect(request.headers.signature).toMatch(
      new RegExp(
        `^keyId="${KEY_ID}",algorithm="rsa-sha256",` +
          `headers="\\(request-target\\) host date digest content-type",signature="[A-Za-z0-9+/=]+"$`,
      ),
    );
    const result = await verifyRequest(request, aliceKey);
    expect(result).toMatchObject({
      ok: true,
      scheme: "cavage",
      keyId: KEY_ID,
      owner: ACTOR,
      algorithm: "rsa-sha256",
    });
  });

  it("fails when the body is changed after signing", async () => {
    const request = { ...(await signedPost()), body: BODY.replace("Follow", "Block") };
    const result = await verifyRequest(request, aliceKey);
    expect(result).toMatchObject({ ok: false, reason: "Digest header hash mismatch" });
  });

  it("fails when body and digest are both replaced (the digest is signed)", async () => {
    const forged = BODY.replace("Follow", "Block");
    const request = await signedPost();
    const result = await verifyRequest(
      {
        ...request,
        body: forged,
        headers: { ...request.headers, digest: await digestHeader(forged) },
      },
      aliceKey,
    );
    expect(result).toMatchObject({ ok: false, reason: "signature does not verify" });
  });

  it("fails when the Date is changed, stale or in the future", async () => {
    const request = await signedPost();
    const moved = new Date(Date.parse(request.headers.date ?? "") + 60_000).toUTCString();
    const changed = await verifyRequest(
      { ...request, headers: { ...request.headers, date: moved } },
      aliceKey,
    );
    expect(changed).toMatchObject({ ok: false, reason: "signature does not verify" });
    const stale = await verifyRequest(
      await signedPost({ now: Date.now() - 2 * 3600_000 }),
      aliceKey,
    );
    // The library reports now − Date in ms: about +7,200,000 for two hours behind, − ahead.
    expect(stale).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/^Clock skew is invalid.*diff="7\d{6}"$/),
    });
    const future = await verifyRequest(
      await signedPost({ now: Date.now() + 2 * 3600_000 }),
      aliceKey,
    );
    expect(future).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/^Clock skew is invalid.*diff="-7\d{6}"$/),
    });
    // Within the ±1 h window is fine.
    const skewed = await verifyRequest(
      await signedPost({ now: Date.now() - 50 * 60_000 }),
      aliceKey,
    );
    expect(skewed.ok).toBe(true);
  });

  it("fails when the signature itself is altered or made by another key", async () => {
    const request = await signedPost();
    const signature = request.headers.signature ?? "";
    const value = /signature="([^"]+)"/.exec(signature)?.[1] ?? "";
    const bytes = Buffer.from(value, "base64");
    bytes[10] = (bytes[10] ?? 0) ^ 1;
    const altered = signature.replace(value, bytes.toString("base64"));
    expect(
      await verifyRequest(
        { ...request, headers: { ...request.headers, signature: altered } },
        aliceKey,
      ),
    ).toMatchObject({ ok: false, reason: "signature does not verify" });

    const otherKey = otherKeys.publicKey;
    expect(
      await verifyRequest(request, async () => ({ publicKey: otherKey, owner: ACTOR })),
    ).toMatchObject({ ok: false, reason: "signature does not verify" });
    expect(await verifyRequest(request, async () => null)).toMatchObject({
      ok: false,
      reason: `unknown key ${KEY_ID}`,
    });
  });

  it("fails for another request target, weak coverage or no signature", async () => {
    const request = await signedPost();
    expect(
      await verifyRequest({ ...request, url: "http://127.0.0.1:9/inbox" }, aliceKey),
    ).toMatchObject({ ok: false, reason: "signature does not verify" });
    expect(
      await verifyRequest(await signedPost({ signedHeaders: ["date", "digest"] }), aliceKey),
    ).toMatchObject({
      ok: false,
      reason: "Signature header content lacked: headers.(request-target)",
    });
    expect(
      await verifyRequest(
        await signedPost({ signedHeaders: ["(request-target)", "host", "date"] }),
        aliceKey,
      ),
    ).toMatchObject({ ok: false, reason: "Signature header content lacked: headers.digest" });
    const { signature: _dropped, ...unsigned } = request.headers;
    expect(await verifyRequest({ ...request, headers: unsigned }, aliceKey)).toMatchObject({
      ok: false,
      reason: "request is not signed",
    });
  });

  it("retries once with a fresh key when the cached one is stale", async () => {
    const calls: boolean[] = [];
    const stale = otherKeys.publicKey;
    const rotating: PublicKeyFetcher = async (_keyId, { refresh }) => {
      calls.push(refresh);
      return { publicKey: refresh ? keys.publicKeyPem : stale, owner: ACTOR };
    };
    expect((await verifyRequest(await signedPost(), rotating)).ok).toBe(true);
    expect(calls).toEqual([false, true]);
  });
});

// RFC 9421 Appendix B.1.4 test-key-ed25519 and the Appendix B.2 test request.
const ED25519_JWK = {
  kty: "OKP",
  crv: "Ed25519",
  x: "JrQLj5P_89iXES9-vFgrIy29clF9CC_oPPsw3c5D0bs",
  d: "n4Ni-HpISpVObnQMW0wOhCKROaIKqKtW_2ZYb2p9KcU",
};
function ED25519_PRIVATE_JWK_KEY() {
  return { key: ED25519_JWK, format: "jwk" as const };
}
const RFC_REQUEST = {
  method: "POST",
  url: "https://example.com/foo?param=Value&Pet=dog",
  headers: {
    Host: "example.com",
    Date: "Tue, 20 Apr 2021 02:07:55 GMT",
    "Content-Type": "application/json",
    "Content-Digest":
      "sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:",
    "Content-Length": "18",
  },
  body: '{"hello": "world"}',
};
const B26_INPUT =
  'sig-b26=("date" "@method" "@path" "@authority" "content-type" "content-length")' +
  ';created=1618884473;keyid="test-key-ed25519"';
const B26_SIGNATURE =
  "sig-b26=:wqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jrnDnQCK1u02Gb04v9EDgwUPiu4A0w6vuQv5lIp5WPpBKRCw==:";
const B26_BASE = [
  '"date": Tue, 20 Apr 2021 02:07:55 GMT',
  '"@method": POST',
  '"@path": /foo',
  '"@authority": example.com',
  '"content-type": application/json',
  '"content-length": 18',
  '"@signature-params": ("date" "@method" "@path" "@authority" "content-type" "content-length")' +
    ';created=1618884473;keyid="test-key-ed25519"',
].join("\n");

describe("RFC 9421 HTTP message signatures", () => {
  const rfcKey: PublicKeyFetcher = async (keyId) =>
    keyId === "test-key-ed25519"
      ? { publicKey: createPublicKey({ key: { ...ED25519_JWK, d: undefined }, format: "jwk" }) }
      : null;
  const rfcOptions = { now: 1618884473_000, requireCoverage: false };

  it("computes RFC 9530 digests", async () => {
    expect(await contentDigestHeader('{"hello": "world"}\n')).toBe(
      "sha-256=:RK/0qy18MlBSVnWgjwz6lZEWjP/lF5HF9bvEF8FabDg=:",
    );
    expect(await contentDigestHeader(RFC_REQUEST.body, "sha-512")).toBe(
      RFC_REQUEST.headers["Content-Digest"],
    );
  });

  it("reproduces the signature base and ed25519 signature of RFC 9421 B.2.6", async () => {
    const input = parseSfDictionary(B26_INPUT).get("sig-b26");
    expect(Array.isArray(input?.[0])).toBe(true); // an inner list, not an item
    expect(rfc9421SignatureBase(RFC_REQUEST, input as never)).toBe(B26_BASE);
    const headers = await signRequestRfc9421({
      ...RFC_REQUEST,
      keyId: "test-key-ed25519",
      privateKey: createPrivateKey(ED25519_PRIVATE_JWK_KEY()),
      components: ["date", "@method", "@path", "@authority", "content-type", "content-length"],
      created: 1618884473,
      includeAlg: false,
      label: "sig-b26",
    });
    expect(headers["signature-input"]).toBe(B26_INPUT);
    expect(headers.signature).toBe(B26_SIGNATURE);
  });

  it("verifies the RFC 9421 B.2.6 request and refuses it when altered", async () => {
    const request = {
      ...RFC_REQUEST,
      headers: { ...RFC_REQUEST.headers, "Signature-Input": B26_INPUT, Signature: B26_SIGNATURE },
    };
    expect(await verifyRfc9421Request(request, rfcKey, rfcOptions)).toMatchObject({
      ok: true,
      scheme: "rfc9421",
      keyId: "test-key-ed25519",
      algorithm: "ed25519",
    });
    expect(
      await verifyRfc9421Request({ ...request, body: '{"hello": "World"}' }, rfcKey, rfcOptions),
    ).toMatchObject({ ok: false, reason: "No digest(s) matched" });
    expect(
      await verifyRfc9421Request(
        { ...request, headers: { ...request.headers, "Content-Type": "text/plain" } },
        rfcKey,
        rfcOptions,
      ),
    ).toMatchObject({ ok: false, reason: "signature does not verify" });
    // With the default policy it is too old and covers no content-digest.
    expect(await verifyRfc9421Request(request, rfcKey)).toMatchObject({ ok: false });
  });

  it("signs and verifies rsa-v1_5-sha256 with the components Fedify covers", async () => {
    const components = ["@method", "@target-uri", "@authority", "host", "date", "content-digest"];
    const headers = await signRequestRfc9421({
      method: "POST",
      url: INBOX,
      headers: { "content-type": "application/activity+json" },
      body: BODY,
      keyId: KEY_ID,
      privateKey: keys.privateKey,
      components,
    });
    expect(headers["content-digest"]).toBe(await contentDigestHeader(BODY));
    expect(headers["signature-input"]).toMatch(
      /^sig1=\("@method" "@target-uri" "@authority" "host" "date" "content-digest"\);created=\d+;keyid="[^"]+";alg="rsa-v1_5-sha256"$/,
    );
    const request = { method: "POST", url: INBOX, headers, body: BODY };
    expect(await verifyRequest(request, aliceKey)).toMatchObject({
      ok: true,
      scheme: "rfc9421",
      keyId: KEY_ID,
      owner: ACTOR,
      algorithm: "rsa-v1_5-sha256",
    });
    expect(
      await verifyRequest({ ...request, url: "http://127.0.0.1:9/inbox" }, aliceKey),
    ).toMatchObject({ ok: false, reason: "signature does not verify" });
    expect(await verifyRequest({ ...request, body: `${BODY} ` }, aliceKey)).toMatchObject({
      ok: false,
      reason: "No digest(s) matched",
    });
    expect(await verifyRequest(request, aliceKey, { rfc9421: "reject" })).toMatchObject({
      ok: false,
      reason: "RFC 9421 signatures are not accepted here",
    });
    const weak = await signRequestRfc9421({
      method: "POST",
      url: INBOX,
      body: BODY,
      keyId: KEY_ID,
      privateKey: keys.privateKey,
      components: ["@method", "@target-uri"],
    });
    expect(
      await verifyRequest({ method: "POST", url: INBOX, headers: weak, body: BODY }, aliceKey),
    ).toMatchObject({ ok: false, reason: "Missing required signed fields" });
  });
});

describe("interoperability with Fedify's signer and verifier", () => {
  const actorDocument = {
    "@context": ["https://www.w3.org/ns/activitystreams", SECURITY_CONTEXT],
    id: ACTOR,
    type: "Person",
    preferredUsername: "alice",
    inbox: `${ACTOR}/inbox`,
    publicKey: { id: KEY_ID, owner: ACTOR, publicKeyPem: keys.publicKeyPem },
  };
  const documentLoader: DocumentLoader = async (url) => {
    // Fedify asks for the keyId itself, fragment and all.
    if (url.split("#")[0] !== ACTOR) throw new Error(`unexpected fetch of ${url}`);
    return { contextUrl: null, documentUrl: url, document: actorDocument };
  };

  it.each(["draft-cavage-http-signatures-12", "rfc9421"] as const)(
    "verifies what Fedify signs with %s",
    async (spec) => {
      const signed = await fedifySignRequest(
        new Request(INBOX, {
          method: "POST",
          headers: { "content-type": "application/activity+json" },
          body: BODY,
        }),
        await toCryptoKey(keys.privateKey),
        new URL(KEY_ID),
        { spec },
      );
      const result = await verifyRequest(
        {
          method: signed.method,
          url: signed.url,
          headers: signed.headers,
          body: await signed.text(),
        },
        aliceKey,
      );
      expect(result).toMatchObject({
        ok: true,
        scheme: spec === "rfc9421" ? "rfc9421" : "cavage",
        keyId: KEY_ID,
      });
    },
  );

  it("verifies Fedify's signed GET with a query, whose (request-target) leaves the query out", async () => {
    const url = `${ACTOR}/outbox?page=true`;
    const signed = await fedifySignRequest(
      new Request(url, { headers: { accept: "application/activity+json" } }),
      await toCryptoKey(keys.privateKey),
      new URL(KEY_ID),
      { spec: "draft-cavage-http-signatures-12" },
    );
    const request = { method: "GET", url, headers: signed.headers };
    expect(await verifyRequest(request, aliceKey)).toMatchObject({ ok: true, keyId: KEY_ID });
    // The query is not signed, but the path still is.
    expect(
      await verifyRequest({ ...request, url: `${ACTOR}/followers?page=true` }, aliceKey),
    ).toMatchObject({ ok: false, reason: "signature does not verify" });
  });

  it.each(["cavage", "rfc9421"] as const)(
    "Fedify verifies what the peer signs (%s)",
    async (scheme) => {
      const input = {
        method: "POST",
        url: INBOX,
        headers: { "content-type": "application/activity+json" },
        body: BODY,
        keyId: KEY_ID,
        privateKey: keys.privateKey,
      };
      const headers = await (scheme === "rfc9421" ? signRequestRfc9421(input) : signRequest(input));
      const key = await fedifyVerifyRequest(
        new Request(INBOX, { method: "POST", headers, body: BODY }),
        { documentLoader },
      );
      expect(key?.id?.href).toBe(KEY_ID);
      expect(key?.ownerId?.href).toBe(ACTOR);
    },
  );
});

describe("key fetcher", () => {
  const base58 = (bytes: Buffer) => {
    const alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
    let n = BigInt(`0x${bytes.toString("hex")}`);
    let out = "";
    while (n > 0n) {
      out = alphabet[Number(n % 58n)] + out;
      n /= 58n;
    }
    return out;
  };
  const ed25519 = generateKeyPairSync("ed25519");
  const edRaw = Buffer.from(ed25519.publicKey.export({ format: "jwk" }).x ?? "", "base64url");
  let server: Server;
  let origin = "";
  const documents = new Map<string, unknown>();

  beforeAll(async () => {
    server = createServer((req, res) => {
      const doc = documents.get(req.url ?? "");
      res.writeHead(doc ? 200 : 404, { "content-type": "application/activity+json" });
      res.end(JSON.stringify(doc ?? {}));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const pem = keys.publicKeyPem;
    documents.set("/users/plain", {
      id: `${origin}/users/plain`,
      type: "Person",
      publicKey: {
        id: `${origin}/users/plain#main-key`,
        owner: `${origin}/users/plain`,
        publicKeyPem: pem,
      },
    });
    documents.set("/users/owner", {
      id: `${origin}/users/owner`,
      type: "Person",
      publicKey: `${origin}/keys/1`,
    });
    documents.set("/keys/1", {
      id: `${origin}/keys/1`,
      owner: `${origin}/users/owner`,
      publicKeyPem: pem,
    });
    documents.set("/keys/2", {
      id: `${origin}/keys/2`,
      owner: `${origin}/users/owner`,
      publicKeyPem: pem,
    });
    documents.set("/users/multi", {
      id: `${origin}/users/multi`,
      type: "Service",
      publicKey: {
        id: `${origin}/users/multi#main-key`,
        owner: `${origin}/users/multi`,
        publicKeyPem: pem,
      },
      assertionMethod: [
        {
          id: `${origin}/users/multi#ed25519-key`,
          type: "Multikey",
          controller: `${origin}/users/multi`,
          publicKeyMultibase: `z${base58(Buffer.concat([Buffer.from([0xed, 0x01]), edRaw]))}`,
        },
      ],
    });
    documents.set("/users/liar", {
      id: `${origin}/users/liar`,
      publicKey: {
        id: `${origin}/users/liar#main-key`,
        owner: `${origin}/users/plain`,
        publicKeyPem: pem,
      },
    });
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it("finds keys embedded in actors, standalone keys whose owner lists them, and Multikeys", async () => {
    const fetcher = createKeyFetcher();
    const get = (keyId: string) => fetcher.fetchKey(keyId, { refresh: false });
    expect(await get(`${origin}/users/plain#main-key`)).toMatchObject({
      owner: `${origin}/users/plain`,
    });
    expect(await get(`${origin}/users/plain`)).toMatchObject({ owner: `${origin}/users/plain` });
    expect(await get(`${origin}/keys/1`)).toMatchObject({ owner: `${origin}/users/owner` });
    const ed = await get(`${origin}/users/multi#ed25519-key`);
    expect(ed).toMatchObject({ owner: `${origin}/users/multi` });
    expect(
      typeof ed === "object" && ed && typeof ed.publicKey === "object"
        ? ed.publicKey.asymmetricKeyType
        : null,
    ).toBe("ed25519");
    await expect(get(`${origin}/keys/2`)).rejects.toThrow(/does not list key/);
    await expect(get(`${origin}/users/liar#main-key`)).rejects.toThrow(/claims to belong to/);
    await expect(get(`${origin}/users/plain#other-key`)).rejects.toThrow(/does not contain key/);
    await expect(get(`${origin}/users/nobody#main-key`)).rejects.toThrow(/answered 404/);
    // Cached: asking again makes no request.
    const before = fetcher.fetches;
    await get(`${origin}/users/plain#main-key`);
    expect(fetcher.fetches).toBe(before);
  });
});

describe("peer server", () => {
  let a: PeerServer;
  let b: PeerServer;
  beforeAll(async () => {
    [a, b] = await Promise.all([
      startPeerServer({ host: "127.0.0.1", actors: ["alice", "mallory"] }),
      startPeerServer({ host: "127.0.0.2", actors: ["bob"] }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
  });

  it("serves WebFinger, actor documents and NodeInfo", async () => {
    expect(b.origin).toMatch(/^http:\/\/127\.0\.0\.2:\d+$/);
    const self = await webfinger(b.origin, `acct:bob@${b.authority}`);
    expect(self).toBe(b.actorUrl("bob"));
    await expect(webfinger(b.origin, `acct:nobody@${b.authority}`)).rejects.toThrow(/404/);
    await expect(webfinger(b.origin, "acct:bob@elsewhere.example")).rejects.toThrow(/404/);

    const actor = await fetchActor(self);
    expect(actor).toEqual({
      "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
      id: `${b.origin}/users/bob`,
      type: "Person",
      preferredUsername: "bob",
      name: "bob",
      summary: "Test peer user bob",
      url: `${b.origin}/@bob`,
      inbox: `${b.origin}/users/bob/inbox`,
      outbox: `${b.origin}/users/bob/outbox`,
      followers: `${b.origin}/users/bob/followers`,
      following: `${b.origin}/users/bob/following`,
      manuallyApprovesFollowers: false,
      discoverable: true,
      endpoints: { sharedInbox: `${b.origin}/inbox` },
      publicKey: {
        id: `${b.origin}/users/bob#main-key`,
        owner: `${b.origin}/users/bob`,
        publicKeyPem: keys.publicKeyPem,
      },
    });
    const response = await fetch(self, { headers: { accept: "application/activity+json" } });
    expect(response.headers.get("content-type")).toMatch(/^application\/activity\+json/);
    const outbox = await fetchActor(`${self}/outbox`);
    expect(outbox).toMatchObject({ type: "OrderedCollection", totalItems: 0 });
    expect((await fetch(`${b.origin}/users/nobody`)).status).toBe(404);
    const nodeinfo = await (await fetch(`${b.origin}/nodeinfo/2.1`)).json();
    expect(nodeinfo).toMatchObject({ version: "2.1", protocols: ["activitypub"] });
  });

  it("exchanges a signed Follow and records it once even when posted twice", async () => {
    const alice = a.actor("alice");
    const activity = follow(alice, b.actorUrl("bob"));
    expect(activity.id).toMatch(new RegExp(`^${a.origin}/activities/[0-9a-f-]{36}$`));
    const first = await postSigned(b.inboxUrl("bob"), activity, { actor: alice });
    expect(first.status).toBe(202);
    const record = await b.waitFor((r) => r.activityId === activity.id, 5000);
    expect(record).toMatchObject({
      inbox: `${b.origin}/users/bob/inbox`,
      recipient: "bob",
      activity,
      type: "Follow",
      actor: alice.id,
      keyId: alice.keyId,
      scheme: "cavage",
      algorithm: "rsa-sha256",
    });
    expect(record.receivedAt).toBeLessThanOrEqual(Date.now());

    const duplicatesBefore = b.duplicates;
    const again = await postSigned(b.inboxUrl("bob"), activity, { actor: alice });
    expect(again.status).toBe(202);
    expect(b.received.filter((r) => r.activityId === activity.id)).toHaveLength(1);
    expect(b.duplicates).toBe(duplicatesBefore + 1);

    const undone = undo(alice, activity);
    expect(undone.object).toEqual({ ...activity, "@context": undefined });
    expect((await postSigned(b.inboxUrl(), undone, { actor: alice })).status).toBe(202);
    const undoRecord = await b.waitFor((r) => r.type === "Undo", 5000);
    expect(undoRecord).toMatchObject({ recipient: null, inbox: `${b.origin}/inbox` });
    expect(b.stats().byRecipient).toMatchObject({
      bob: { deliveries: 2, unique: 1 },
      "*": { deliveries: 1, unique: 1 },
    });
  });

  it("refuses an activity whose actor does not own the signing key", async () => {
    const forged = follow(a.actor("mallory"), b.actorUrl("bob"));
    const response = await postSigned(b.inboxUrl("bob"), forged, { actor: a.actor("alice") });
    expect(response.status).toBe(401);
    expect(b.received.some((r) => r.activityId === forged.id)).toBe(false);
    expect(b.rejected.at(-1)?.reason).toMatch(/does not own key .*#main-key/);
  });

  it("refuses unsigned and tampered POSTs", async () => {
    const alice = a.actor("alice");
    const activity = follow(alice, b.actorUrl("bob"));
    const unsigned = await fetch(b.inboxUrl(), {
      method: "POST",
      headers: { "content-type": "application/activity+json" },
      body: JSON.stringify(activity),
    });
    expect(unsigned.status).toBe(401);
    const body = JSON.stringify(activity);
    const headers = await signRequest({
      method: "POST",
      url: b.inboxUrl(),
      headers: { "content-type": "application/activity+json" },
      body,
      keyId: alice.keyId,
      privateKey: alice.privateKey,
    });
    delete headers.host;
    const tampered = await fetch(b.inboxUrl(), {
      method: "POST",
      headers,
      body: body.replace("Follow", "Block"),
    });
    expect(tampered.status).toBe(401);
    expect(b.rejected.at(-1)?.reason).toBe("Digest header hash mismatch");
    expect(b.received.some((r) => r.activityId === activity.id)).toBe(false);
  });

  it("accepts RFC 9421 unless told to reject it, then only draft-cavage gets in", async () => {
    const alice = a.actor("alice");
    const first = follow(alice, b.actorUrl("bob"));
    expect(
      (await postSigned(b.inboxUrl(), first, { actor: alice, scheme: "rfc9421" })).status,
    ).toBe(202);
    expect((await b.waitFor((r) => r.activityId === first.id, 5000)).scheme).toBe("rfc9421");

    const strict = await startPeerServer({
      host: "127.0.0.3",
      actors: ["carol"],
      rfc9421: "reject",
    });
    try {
      const second = follow(alice, strict.actorUrl("carol"));
      const refused = await postSigned(strict.inboxUrl(), second, {
        actor: alice,
        scheme: "rfc9421",
      });
      expect(refused.status).toBe(401);
      expect(refused.headers.get("accept-signature")).toBeNull();
      const accepted = await postSigned(strict.inboxUrl(), second, { actor: alice });
      expect(accepted.status).toBe(202);
      expect(strict.received).toHaveLength(1);
      expect(strict.received[0]?.scheme).toBe("cavage");
      strict.configure({ rfc9421: "accept" });
      const third = follow(alice, strict.actorUrl("carol"));
      expect(
        (await postSigned(strict.inboxUrl(), third, { actor: alice, scheme: "rfc9421" })).status,
      ).toBe(202);
    } finally {
      await strict.close();
    }
  });

  it("lets Fedify's signed fetch fall back to draft-cavage when RFC 9421 is refused", async () => {
    const alice = a.actor("alice");
    const secure = await startPeerServer({
      host: "127.0.0.6",
      actors: ["erin"],
      rfc9421: "reject",
      authorizedFetch: true,
    });
    try {
      const outbox = `${secure.actorUrl("erin")}/outbox`;
      expect((await fetch(outbox)).status).toBe(401);
      expect((await fetch(secure.actorUrl("erin"))).status).toBe(200); // keys stay public
      const privateKey = await toCryptoKey(alice.privateKey);
      // Without a specDeterminer Fedify knocks with RFC 9421 first every time.
      const loader = () =>
        getAuthenticatedDocumentLoader(
          { keyId: new URL(alice.keyId), privateKey },
          { allowPrivateAddress: true },
        );
      secure.reset();
      expect((await loader()(outbox)).document).toMatchObject({ type: "OrderedCollection" });
      expect(secure.rejected.map((r) => [r.method, r.status, r.reason])).toEqual([
        ["GET", 401, "RFC 9421 signatures are not accepted here"],
      ]);
      expect(secure.signedFetches).toMatchObject([
        { url: outbox, keyId: alice.keyId, owner: alice.id, scheme: "cavage" },
      ]);

      secure.configure({ rfc9421: "accept" });
      secure.reset();
      expect((await loader()(outbox)).document).toMatchObject({ type: "OrderedCollection" });
      expect(secure.rejected).toEqual([]);
      expect(secure.signedFetches).toMatchObject([{ keyId: alice.keyId, scheme: "rfc9421" }]);
    } finally {
      await secure.close();
    }
  });

  it("delays answers by inboxDelayMs and fails a wait with what it saw", async () => {
    const alice = a.actor("alice");
    const slow = await startPeerServer({ host: "127.0.0.4", actors: ["dave"], inboxDelayMs: 300 });
    try {
      const started = performance.now();
      const response = await postSigned(slow.inboxUrl(), follow(alice, slow.actorUrl("dave")), {
        actor: alice,
      });
      expect(response.status).toBe(202);
      expect(performance.now() - started).toBeGreaterThanOrEqual(290);
      await expect(slow.waitFor((r) => r.type === "Like", 50)).rejects.toThrow(
        /timed out after 50 ms; peer http:\/\/127\.0\.0\.4:\d+ accepted 1/,
      );
    } finally {
      await slow.close();
    }
  });
});

describe("peer farm", () => {
  it("starts 50 hosts, receives a shared-inbox POST on each, and closes cleanly", async () => {
    const farm = await startPeerFarm({ hosts: 50, actorsPerHost: 2 });
    const sender = await startPeerServer({ host: "127.0.0.5", actors: ["newsroom"] });
    try {
      expect(farm.peers).toHaveLength(50);
      expect(farm.actors).toHaveLength(100);
      expect(new Set(farm.peers.map((p) => p.host)).size).toBe(50);
      expect(farm.peers[0]?.host).toBe("127.0.1.1");
      expect(farm.peers[49]?.host).toBe("127.0.1.50");
      expect(farm.actors[1]?.id).toBe(`${farm.peers[0]?.origin}/users/user1`);

      const author = sender.actor("newsroom");
      const note = createNote(author, "<p>Hello, farm</p>");
      const statuses = await Promise.all(
        farm.peers.map(
          async (peer) => (await postSigned(peer.inboxUrl(), note, { actor: author })).status,
        ),
      );
      expect(statuses).toEqual(Array(50).fill(202));
      await farm.waitForAllHosts(note.id as string, 10_000);
      expect(farm.hostsThatReceived(note.id as string)).toBe(50);
      expect(farm.stats()).toMatchObject({
        hosts: 50,
        actors: 100,
        deliveries: 50,
        unique: 50,
        duplicates: 0,
        rejected: 0,
        activityIds: 1,
      });
      expect(farm.stats().lastDeliveryAt).not.toBeNull();
      expect(farm.hostStats().every((s) => s.byRecipient["*"]?.unique === 1)).toBe(true);
    } finally {
      await Promise.all([farm.close(), sender.close()]);
    }
    const port = farm.peers[0]?.port ?? 0;
    const refused = await new Promise<boolean>((resolve) => {
      const socket = connect(port, "127.0.1.1");
      socket.once("connect", () => {
        socket.destroy();
        resolve(false);
      });
      socket.once("error", () => resolve(true));
    });
    expect(refused).toBe(true);
  }, 60_000);
});
