import { verifyRequest as fedifyVerifyRequest } from "@fedify/fedify";
import { describe, expect, it } from "vitest";
import {
  type SignatureSpec,
  signedPostHeaders,
  signOnEventLoop,
  signOnThreadPool,
} from "../../src/federation/outbound-signature.ts";
import { generatePeerKeyPair, verifyRequest } from "../support/fediverse-peer.ts";

const ACTOR = "https://news.example/ap/feeds/world";
const KEY_ID = `${ACTOR}#main-key`;
const INBOX = new URL("https://mastodon.example:8443/inbox");
const keys = generatePeerKeyPair();
const body = Buffer.from(JSON.stringify({ type: "Create", actor: ACTOR, content: "Dïplomats" }));

/** The actor document a receiver fetches at the key id, as Tidings serves it. */
const actorDocument = {
  "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
  id: ACTOR,
  type: "Organization",
  inbox: `${ACTOR}/inbox`,
  publicKey: { id: KEY_ID, owner: ACTOR, publicKeyPem: keys.publicKeyPem },
};

const SIGNERS = { "event loop": signOnEventLoop, "thread pool": signOnThreadPool } as const;
type SignerName = keyof typeof SIGNERS;

function sign(spec: SignatureSpec, signer: SignerName, now = new Date()) {
  return signedPostHeaders(
    spec,
    { url: INBOX, body, keyId: KEY_ID, privateKey: keys.privateKey, now },
    "application/activity+json",
    SIGNERS[signer],
  );
}

/** Fedify's own verifier, as a Fedify-based receiver runs it. */
function verifiedByFedify(headers: Record<string, string>, sentBody: Buffer) {
  return fedifyVerifyRequest(
    new Request(INBOX, { method: "POST", headers, body: new Uint8Array(sentBody) }),
    {
      documentLoader: async (url) => ({
        contextUrl: null,
        documentUrl: url,
        document: actorDocument,
      }),
    },
  );
}

/** The test peer's verifier (node:crypto, written from the specs, Mastodon's rules). */
function verifiedByPeer(headers: Record<string, string>, sentBody: Buffer) {
  return verifyRequest(
    { method: "POST", url: INBOX.href, headers: Object.entries(headers), body: sentBody },
    async () => ({ publicKey: keys.publicKey, owner: ACTOR }),
  );
}

const CASES = (["rfc9421", "draft-cavage-http-signatures-12"] as const).flatMap((spec) =>
  (Object.keys(SIGNERS) as SignerName[]).map((signer) => [spec, signer] as const),
);

describe.each(CASES)(
  "a POST signed by the direct sender (%s, signed on the %s)",
  (spec, signer) => {
    it("verifies at a Fedify server and at a Mastodon-like one", async () => {
      const headers = await sign(spec, signer);
      const key = await verifiedByFedify(headers, body);
      expect(key?.id?.href).toBe(KEY_ID);
      const peer = await verifiedByPeer(headers, body);
      expect(peer).toMatchObject({
        ok: true,
        keyId: KEY_ID,
        scheme: spec === "rfc9421" ? "rfc9421" : "cavage",
      });
    });

    it("covers the body: a changed body fails both verifiers", async () => {
      const headers = await sign(spec, signer);
      const forged = Buffer.from(body.toString("utf8").replace("Create", "Delete"));
      expect(await verifiedByFedify(headers, forged)).toBeNull();
      expect((await verifiedByPeer(headers, forged)).ok).toBe(false);
    });

    it("is dated: a signature from two hours ago is refused", async () => {
      const headers = await sign(spec, signer, new Date(Date.now() - 2 * 3_600_000));
      expect(await verifiedByFedify(headers, body)).toBeNull();
      expect((await verifiedByPeer(headers, body)).ok).toBe(false);
    });
  },
);
