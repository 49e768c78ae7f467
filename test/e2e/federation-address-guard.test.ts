import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DeliverySender } from "../../src/config.ts";
import { type Logger, silentLogger } from "../../src/logger.ts";
import { createFollowerRepository } from "../../src/storage/follower-repository.ts";
import type { DatabaseKind } from "../support/databases.ts";
import { type FederatedServer, startFederatedServer } from "../support/federated-server.ts";
import { follow, type PeerServer, postSigned, startPeerServer } from "../support/fediverse-peer.ts";
import { mappedDocumentLoader } from "../support/mapped-document-loader.ts";

const CASES: ReadonlyArray<{ kind: DatabaseKind; sender: DeliverySender }> = [
  { kind: "postgres", sender: "direct" },
  { kind: "pglite", sender: "fedify" },
];

/** Ways of writing the loopback address a peer listens on, as an inbox's origin. */
const LOOPBACK_INBOXES: ReadonlyArray<{
  spelling: string;
  origin: (port: number) => string;
  reason: string;
}> = [
  { spelling: "127.0.0.1", origin: (port) => `http://127.0.0.1:${port}`, reason: "loopback" },
  { spelling: "2130706433", origin: (port) => `http://2130706433:${port}`, reason: "loopback" },
  { spelling: "0x7f.1", origin: (port) => `http://0x7f.1:${port}`, reason: "loopback" },
  {
    spelling: "[::ffff:127.0.0.1]",
    origin: (port) => `http://[::ffff:127.0.0.1]:${port}`,
    reason: "loopback",
  },
  { spelling: "localhost", origin: (port) => `http://localhost:${port}`, reason: "localhost" },
];

/**
 * With private addresses refused (production's FEDERATION_ALLOW_PRIVATE_ADDRESS=false), nothing
 * is posted to an inbox on a loopback address, over real signed HTTP. The peers' actors are
 * published as `https://peerN.example/users/alice`, fetched from the loopback peer behind that
 * name (a test-only document loader: fetching is all it maps); their inboxes are advertised on
 * loopback addresses, which is what the guard must refuse.
 */
describe.each(CASES)(
  "inboxes on loopback with private addresses refused ($kind, $sender sender)",
  ({ kind, sender }) => {
    const origins = new Map<string, string>();
    const warnings: { message: string; fields: Record<string, unknown> }[] = [];
    const logger: Logger = {
      ...silentLogger,
      warn: (message, fields = {}) => warnings.push({ message, fields }),
    };
    const peers: PeerServer[] = [];
    let server: FederatedServer;

    beforeAll(async () => {
      server = await startFederatedServer(kind, sender, {
        allowPrivateAddress: false,
        documentLoader: mappedDocumentLoader(origins),
        logger,
      });
    });
    afterAll(async () => {
      await Promise.all(peers.map((peer) => peer.close()));
      await server?.close();
    });

    const world = () => `${server.url}/ap/feeds/world`;
    const followers = async () =>
      (await createFollowerRepository(server.database.db).page("world", null, 100)).map(
        (follower) => follower.actorId,
      );
    /** Every POST a peer answered, accepted or refused. */
    const postsTo = (peer: PeerServer) => peer.stats().deliveries + peer.stats().rejected;

    async function startPeer(options: Parameters<typeof startPeerServer>[0]) {
      const peer = await startPeerServer({ host: "127.0.0.1", ...options });
      peers.push(peer);
      if (options?.publicOrigin) origins.set(options.publicOrigin, peer.origin);
      return peer;
    }

    it.each(LOOPBACK_INBOXES)(
      "refuses a follower whose inbox is on $spelling: not stored, no Accept, a warning",
      async ({ origin, reason }) => {
        const publicOrigin = `https://peer${peers.length + 1}.example`;
        const peer = await startPeer({ publicOrigin, inboxOrigin: origin });
        const alice = peer.actor("alice");
        expect(alice.id).toBe(`${publicOrigin}/users/alice`);
        expect(alice.inbox).toBe(`${origin(peer.port)}/users/alice/inbox`);

        const response = await postSigned(`${world()}/inbox`, follow(alice, world()), {
          actor: alice,
        });
        expect(response.status).toBe(202);
        await server.settle();

        expect(await followers()).toEqual([]);
        expect(postsTo(peer)).toBe(0);
        const refusals = warnings.filter(
          (w) =>
            w.message === "refused a follower whose inbox is not a public address" &&
            w.fields.actor === alice.id,
        );
        expect(refusals).toHaveLength(1);
        expect(refusals[0]?.fields).toMatchObject({ feed: "world", reason });
      },
    );

    it("drops deliveries to loopback inboxes stored before the check, and removes their followers", async () => {
      const peer = await startPeer({ actors: ["bob", "carol"] });
      const repository = createFollowerRepository(server.database.db);
      // As onFollow stored them before this check: the URLs' own serialisation.
      const bob = { actorId: peer.actorUrl("bob"), inboxUrl: peer.inboxUrl("bob") };
      const carolShared = new URL(`http://[::ffff:127.0.0.1]:${peer.port}/inbox`).href;
      const carol = { actorId: peer.actorUrl("carol"), inboxUrl: peer.inboxUrl("carol") };
      await repository.add("world", { ...bob, sharedInboxUrl: null, followId: null }, new Date());
      await repository.add(
        "world",
        { ...carol, sharedInboxUrl: carolShared, followId: null },
        new Date(),
      );
      expect(await followers()).toEqual(expect.arrayContaining([bob.actorId, carol.actorId]));

      const pushed = await server.admin("POST", "/admin/articles", {
        headline: "Nobody on loopback reads this",
        bodyHtml: "<p>Text</p>",
        feeds: ["world"],
      });
      expect(pushed.status).toBe(201);
      await server.settle();

      expect(postsTo(peer)).toBe(0);
      expect(await followers()).not.toEqual(expect.arrayContaining([bob.actorId]));
      expect(await followers()).not.toEqual(expect.arrayContaining([carol.actorId]));
      const drops = warnings.filter(
        (w) => w.message === "dropped a delivery to an inbox that is not a public address",
      );
      expect(drops.map((w) => w.fields.inbox).sort()).toEqual([bob.inboxUrl, carolShared].sort());
      for (const drop of drops) {
        expect(drop.fields).toMatchObject({ reason: "loopback", removedFollowers: 1 });
      }
    });

    it("drops it the same way where no queue listens (the Worker's queue handler)", async () => {
      const peer = await startPeer({ actors: ["dave"] });
      const dave = { actorId: peer.actorUrl("dave"), inboxUrl: peer.inboxUrl("dave") };
      await createFollowerRepository(server.database.db).add(
        "world",
        { ...dave, sharedInboxUrl: null, followId: null },
        new Date(),
      );
      // The fields of Fedify's outbox message the check reads; Fedify never sees this one.
      await server.runtime.processQueuedTask({
        type: "outbox",
        inbox: dave.inboxUrl,
        activityId: `${world()}#test`,
        attempt: 0,
      });
      expect(await followers()).not.toEqual(expect.arrayContaining([dave.actorId]));
      expect(postsTo(peer)).toBe(0);
      expect(warnings.at(-1)).toMatchObject({
        message: "dropped a delivery to an inbox that is not a public address",
        fields: { inbox: dave.inboxUrl, reason: "loopback", removedFollowers: 1 },
      });
    });
  },
);
