import { createServer, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFollowerRepository } from "../../src/storage/follower-repository.ts";
import { type FederatedServer, startFederatedServer } from "../support/federated-server.ts";
import {
  activity,
  follow,
  generatePeerKeyPair,
  type PeerActor,
  type PeerServer,
  postSigned,
  postSignedBody,
  startPeerServer,
} from "../support/fediverse-peer.ts";

const PER_HOST_PER_MINUTE = 5;

/**
 * What the inbox refuses before Fedify sees an activity, over signed HTTP from independent
 * peers: the wrong media type (415), a server over its rate (429 with Retry-After, others
 * unaffected), and a Delete from an actor we never heard of (202, nothing fetched).
 */
describe("the hardened inbox", () => {
  let server: FederatedServer;
  let noisy: PeerServer;
  let quiet: PeerServer;
  let ghostHost: { server: Server; hits: number; origin: string };

  beforeAll(async () => {
    server = await startFederatedServer("postgres", "direct", {
      config: { inboxRateLimit: PER_HOST_PER_MINUTE },
    });
    noisy = await startPeerServer({ host: "127.0.0.6", actors: ["alice"] });
    quiet = await startPeerServer({ host: "127.0.0.7", actors: ["bob"] });
    const counter = { hits: 0 };
    const ghost = createServer((_req, res) => {
      counter.hits++;
      res.writeHead(410).end();
    });
    await new Promise<void>((resolve) => ghost.listen(0, "127.0.0.8", resolve));
    const { port } = ghost.address() as { port: number };
    ghostHost = {
      server: ghost,
      origin: `http://127.0.0.8:${port}`,
      get hits() {
        return counter.hits;
      },
    };
  });
  afterAll(async () => {
    await new Promise((resolve) => ghostHost?.server.close(resolve));
    await Promise.all([noisy?.close(), quiet?.close()]);
    await server?.close();
  });

  const world = () => `${server.url}/ap/feeds/world`;
  const inbox = () => `${world()}/inbox`;

  it("answers 415 to a body that is not ActivityStreams JSON", async () => {
    const alice = noisy.actor("alice");
    for (const type of ["text/plain", "application/x-www-form-urlencoded", "text/html"]) {
      const response = await postSignedBody(inbox(), JSON.stringify(follow(alice, world())), {
        actor: alice,
        headers: { "content-type": type },
      });
      expect(response.status, type).toBe(415);
      expect(response.headers.get("content-type")).toBe("application/problem+json");
      expect(await response.json()).toMatchObject({ type: "/problems/unsupported-media-type" });
    }
    const unsigned = await fetch(inbox(), { method: "POST", body: "x" });
    expect(unsigned.status).toBe(415);
  });

  it("answers a Delete from an actor it never heard of 202, fetching nothing", async () => {
    const ghost: PeerActor = {
      ...noisy.actor("alice"),
      id: `${ghostHost.origin}/users/ghost`,
      keyId: `${ghostHost.origin}/users/ghost#main-key`,
      privateKey: generatePeerKeyPair().privateKey,
    };
    const del = activity(ghost, "Delete", ghost.id);
    const response = await postSigned(`${server.url}/ap/inbox`, del, { actor: ghost });
    expect(response.status).toBe(202);
    await server.settle();
    expect(ghostHost.hits).toBe(0);
  });

  it("still acts on a Delete from an actor it knows (its follower goes)", async () => {
    const bob = quiet.actor("bob");
    expect((await postSigned(inbox(), follow(bob, world()), { actor: bob })).status).toBe(202);
    await quiet.waitFor((r) => r.type === "Accept", 15_000);
    const followers = createFollowerRepository(server.database.db);
    expect(await followers.count("world")).toBe(1);
    const del = activity(bob, "Delete", bob.id);
    expect((await postSigned(`${server.url}/ap/inbox`, del, { actor: bob })).status).toBe(202);
    await server.settle();
    expect(await followers.count("world")).toBe(0);
  });

  it("answers a server over its rate 429 with Retry-After, and no other server", async () => {
    const alice = noisy.actor("alice");
    const statuses: number[] = [];
    let refused: Response | undefined;
    for (let i = 0; i < PER_HOST_PER_MINUTE + 2; i++) {
      const response = await postSigned(inbox(), activity(alice, "Like", `${world()}/nothing`), {
        actor: alice,
      });
      statuses.push(response.status);
      if (response.status === 429) refused = response;
    }
    expect(statuses).toEqual([...Array(PER_HOST_PER_MINUTE).fill(202), 429, 429]);
    expect(Number(refused?.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(Number(refused?.headers.get("retry-after"))).toBeLessThanOrEqual(60);
    expect(await refused?.json()).toMatchObject({ type: "/problems/too-many-requests" });
    const bob = quiet.actor("bob");
    const other = await postSigned(inbox(), activity(bob, "Like", `${world()}/nothing`), {
      actor: bob,
    });
    expect(other.status).toBe(202);
  });
});
