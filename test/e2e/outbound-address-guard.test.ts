import { createServer, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FederatedServer, startFederatedServer } from "../support/federated-server.ts";
import {
  activity,
  generatePeerKeyPair,
  type PeerActor,
  postSigned,
  sharedPeerKeyPair,
} from "../support/fediverse-peer.ts";

/** Ways of writing a loopback address as the origin of a key id or an account. */
const SPELLINGS: ReadonlyArray<{ spelling: string; origin: (port: number) => string }> = [
  { spelling: "127.0.0.1", origin: (port) => `http://127.0.0.1:${port}` },
  { spelling: "2130706433", origin: (port) => `http://2130706433:${port}` },
  { spelling: "0x7f.1", origin: (port) => `http://0x7f.1:${port}` },
  { spelling: "017700000001", origin: (port) => `http://017700000001:${port}` },
  { spelling: "[::ffff:127.0.0.1]", origin: (port) => `http://[::ffff:127.0.0.1]:${port}` },
  { spelling: "[::1]", origin: (port) => `http://[::1]:${port}` },
  { spelling: "localhost", origin: (port) => `http://localhost:${port}` },
];

/**
 * The fetches Tidings makes itself, not only its deliveries, never reach a private address with
 * FEDERATION_ALLOW_PRIVATE_ADDRESS=false: the key of a signed inbox POST (the inbox gate fetches
 * it before Fedify), and the account an editor blocks by handle (WebFinger). A listening server
 * on loopback counts every request it gets: none may arrive.
 */
describe("outbound fetches on loopback, however spelled, are refused", () => {
  let server: FederatedServer;
  let control: FederatedServer;
  let target: { server: Server; port: number; hits: () => number };

  beforeAll(async () => {
    server = await startFederatedServer("pglite", "direct", { allowPrivateAddress: false });
    control = await startFederatedServer("pglite", "direct", { allowPrivateAddress: true });
    let hits = 0;
    const listening = createServer((_req, res) => {
      hits++;
      res.writeHead(200, { "content-type": "application/activity+json" }).end("{}");
    });
    await new Promise<void>((resolve) => listening.listen(0, "::", resolve));
    target = {
      server: listening,
      port: (listening.address() as { port: number }).port,
      hits: () => hits,
    };
  });
  afterAll(async () => {
    await new Promise((resolve) => target?.server.close(resolve));
    await Promise.all([server?.close(), control?.close()]);
  });

  const signer = (origin: string): PeerActor => {
    const keys = sharedPeerKeyPair(2048);
    return {
      username: "eve",
      id: `${origin}/users/eve`,
      keyId: `${origin}/users/eve#main-key`,
      inbox: `${origin}/users/eve/inbox`,
      sharedInbox: null,
      outbox: `${origin}/users/eve/outbox`,
      followers: `${origin}/users/eve/followers`,
      origin,
      authority: new URL(origin).host,
      acct: `acct:eve@${new URL(origin).host}`,
      privateKey: generatePeerKeyPair().privateKey,
      publicKeyPem: keys.publicKeyPem,
    };
  };

  it.each(SPELLINGS)(
    "does not fetch a signer's key on $spelling (401, no request)",
    async ({ origin }) => {
      const eve = signer(origin(target.port));
      const like = activity(eve, "Like", `${server.url}/ap/feeds/world`);
      const response = await postSigned(`${server.url}/ap/inbox`, like, { actor: eve });
      expect(response.status).toBe(401);
      expect(target.hits()).toBe(0);
    },
  );

  it.each(SPELLINGS)(
    "does not look up an account on $spelling when blocking it (422, no request)",
    async ({ origin }) => {
      const host = new URL(origin(target.port)).host;
      const response = await server.admin("POST", "/admin/blocks", { actor: `@eve@${host}` });
      expect(response.status).toBe(422);
      expect(
        ((await response.json()) as { errors: { pointer: string }[] }).errors[0]?.pointer,
      ).toBe("/actor");
      expect(target.hits()).toBe(0);
    },
  );

  it("does fetch there when private addresses are allowed (the control: the target listens)", async () => {
    const before = target.hits();
    const eve = signer(`http://127.0.0.1:${target.port}`);
    const like = activity(eve, "Like", `${control.url}/ap/feeds/world`);
    await postSigned(`${control.url}/ap/inbox`, like, { actor: eve });
    expect(target.hits()).toBeGreaterThan(before);
  });
});
