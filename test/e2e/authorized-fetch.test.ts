import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { INSTANCE_ACTOR } from "../../src/federation/instance-actor.ts";
import type { DatabaseKind } from "../support/databases.ts";
import { type FederatedServer, startFederatedServer } from "../support/federated-server.ts";
import {
  ACTIVITY_JSON_ACCEPT,
  follow,
  type PeerServer,
  postSigned,
  signRequest,
  startPeerServer,
} from "../support/fediverse-peer.ts";

type Json = Record<string, unknown>;

/**
 * AUTHORIZED_FETCH=true against independent peers: a feed's actor shows its public parts to
 * anyone (as Mastodon's secure mode does) and everything to a signed, unblocked reader; objects
 * and collections need a signed GET from a server that is not blocked; and Tidings' own fetches
 * are signed by its instance actor, which a secure-mode peer verifies.
 */
describe.each(["postgres", "pglite"] as DatabaseKind[])("authorized fetch (%s)", (kind) => {
  let server: FederatedServer;
  let reader: PeerServer;
  let blocked: PeerServer;
  let secure: PeerServer;
  let objectUrl: string;
  let updateUrl: string;

  beforeAll(async () => {
    server = await startFederatedServer(kind, "direct", { authorizedFetch: true });
    reader = await startPeerServer({ host: "127.0.0.9", actors: ["alice"] });
    blocked = await startPeerServer({ host: "127.0.0.10", actors: ["mallory"] });
    secure = await startPeerServer({ host: "127.0.0.11", actors: ["sam"], authorizedFetch: true });
    const pushed = await server.admin("POST", "/admin/articles", {
      headline: "Only for servers that say who they are",
      bodyHtml: "<p>Text</p>",
      feeds: ["world"],
    });
    const { id } = (await pushed.json()) as { id: string };
    objectUrl = `${server.url}/ap/feeds/world/articles/${id}`;
    const update = await server.admin("POST", `/admin/articles/${id}/updates`, {
      bodyHtml: "<p>A live update</p>",
    });
    expect(update.status).toBe(201);
    updateUrl = `${objectUrl}/updates/${((await update.json()) as { id: string }).id}`;
    const block = await server.admin("POST", "/admin/blocks", { domain: "127.0.0.10" });
    expect(block.status).toBe(201);
  });
  afterAll(async () => {
    await Promise.all([reader?.close(), blocked?.close(), secure?.close()]);
    await server?.close();
  });

  const world = () => `${server.url}/ap/feeds/world`;
  /** A GET as `peer`'s first actor would send it (draft-cavage), or unsigned. */
  const get = async (url: string, peer?: PeerServer) => {
    let headers: Record<string, string> = { accept: ACTIVITY_JSON_ACCEPT };
    const actor = peer?.actors[0];
    if (actor) {
      headers = await signRequest({
        method: "GET",
        url,
        headers,
        keyId: actor.keyId,
        privateKey: actor.privateKey,
      });
      delete headers.host;
    }
    return fetch(url, { headers });
  };

  it("shows an unsigned reader only the actor's public parts, a signed one all of it", async () => {
    const unsigned = await get(world());
    expect(unsigned.status).toBe(200);
    const publicParts = (await unsigned.json()) as Json;
    expect(publicParts).toMatchObject({ id: world(), preferredUsername: "world" });
    expect(publicParts.inbox).toBe(`${world()}/inbox`);
    expect((publicParts.publicKey as Json).publicKeyPem).toMatch(/BEGIN PUBLIC KEY/);
    for (const hidden of ["name", "summary", "outbox", "followers", "featured", "url"]) {
      expect(publicParts[hidden], hidden).toBeUndefined();
    }
    const signed = (await (await get(world(), reader)).json()) as Json;
    expect(signed).toMatchObject({ name: "World", outbox: `${world()}/outbox` });
    // A blocked server reads no more than an anonymous one.
    const fromBlocked = (await (await get(world(), blocked)).json()) as Json;
    expect(fromBlocked.outbox).toBeUndefined();
  });

  it("serves objects and collections only to signed GETs from servers not blocked", async () => {
    const paths = [
      objectUrl,
      updateUrl,
      `${objectUrl}/context`,
      `${objectUrl}/replies/page/1`,
      `${world()}/outbox`,
      `${world()}/followers`,
      `${world()}/featured`,
    ];
    for (const url of paths) {
      expect((await get(url)).status, `unsigned ${url}`).toBe(401);
      expect((await get(url, blocked)).status, `blocked ${url}`).toBe(401);
      expect((await get(url, reader)).status, `signed ${url}`).toBe(200);
    }
    const note = (await (await get(objectUrl, reader)).json()) as Json;
    expect(note.id).toBe(objectUrl);
  });

  it("serves the instance actor in full, unsigned, with its own key", async () => {
    const instance = (await (await get(`${server.url}/ap/feeds/${INSTANCE_ACTOR}`)).json()) as Json;
    expect(instance).toMatchObject({
      type: "Application",
      id: `${server.url}/ap/feeds/${INSTANCE_ACTOR}`,
    });
    expect((instance.publicKey as Json).id).toBe(
      `${server.url}/ap/feeds/${INSTANCE_ACTOR}#main-key`,
    );
  });

  it("signs its own fetches as the instance actor, which a secure-mode peer accepts", async () => {
    const sam = secure.actor("sam");
    const response = await postSigned(`${server.url}/ap/inbox`, follow(sam, world()), {
      actor: sam,
    });
    expect(response.status).toBe(202);
    await secure.waitFor((r) => r.type === "Accept", 15_000);
    const instanceKey = `${server.url}/ap/feeds/${INSTANCE_ACTOR}#main-key`;
    const signedByUs = secure.signedFetches.filter((f) => f.keyId === instanceKey);
    expect(signedByUs.length).toBeGreaterThan(0);
    expect(signedByUs.map((f) => f.url)).toContain(sam.id);
  });
});

describe("without authorized fetch (the default)", () => {
  let server: FederatedServer;
  beforeAll(async () => {
    server = await startFederatedServer("pglite");
  });
  afterAll(async () => {
    await server?.close();
  });

  it("serves objects, collections and the whole actor to anyone", async () => {
    const headers = { accept: ACTIVITY_JSON_ACCEPT };
    const actor = (await (await fetch(`${server.url}/ap/feeds/world`, { headers })).json()) as Json;
    expect(actor.name).toBe("World");
    expect((await fetch(`${server.url}/ap/feeds/world/outbox`, { headers })).status).toBe(200);
  });
});
