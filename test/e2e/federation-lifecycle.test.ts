import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { userAgentFor } from "../../src/federation/federation.ts";
import { FeedKeyStore } from "../../src/federation/keys.ts";
import { createFeedKeyRepository } from "../../src/storage/feed-key-repository.ts";
import { type FederatedServer, startFederatedServer } from "../support/federated-server.ts";
import {
  activity,
  fetchActor,
  follow,
  type PeerServer,
  postSigned,
  startPeerServer,
} from "../support/fediverse-peer.ts";

type Json = Record<string, unknown>;

/** Followers coming and going, profile edits, collections and NodeInfo, over signed HTTP. */
describe("federation lifecycle", () => {
  let server: FederatedServer;
  let mastodon: PeerServer; // answers RFC 9421 with 401, like Mastodon before 4.5
  let gone: PeerServer; // its inbox answers 410 Gone
  const actorId = () => `${server.url}/ap/feeds/us-russia-syria`;

  const followerIds = async () =>
    (
      await sql<{ actorId: string }>`
        select actor_id from followers where feed_slug = 'us-russia-syria' order by actor_id`.execute(
        server.database.db,
      )
    ).rows.map((row) => row.actorId);

  const followFrom = async (peer: PeerServer, name: string) => {
    const actor = peer.actor(name);
    const response = await postSigned(`${actorId()}/inbox`, follow(actor, actorId()), { actor });
    expect(response.status).toBe(202);
  };

  beforeAll(async () => {
    server = await startFederatedServer("postgres");
    mastodon = await startPeerServer({
      host: "127.0.0.4",
      actors: ["ann", "ben", "cat"],
      rfc9421: "reject",
    });
    gone = await startPeerServer({ host: "127.0.0.5", actors: ["ghost"] });
  });
  afterAll(async () => {
    await mastodon?.close();
    await gone?.close();
    await server?.close();
  });

  it("falls back to draft-cavage signatures for a server that refuses RFC 9421", async () => {
    await followFrom(mastodon, "ann");
    await followFrom(mastodon, "ben");
    await followFrom(mastodon, "cat");
    await mastodon.waitForCount((r) => r.type === "Accept", 3, 15_000);
    const schemes = new Set(mastodon.received.map((r) => r.scheme));
    expect(schemes).toEqual(new Set(["cavage"]));
    expect(mastodon.rejected.some((r) => r.reason.includes("9421"))).toBe(true);
  });

  it("pages and counts the followers collection", async () => {
    const collection = (await fetchActor(`${actorId()}/followers`)) as Json;
    expect(collection.totalItems).toBe(3);
    const first = (await fetchActor(collection.first as string)) as Json;
    expect(first.orderedItems).toEqual(await followerIds());
  });

  it("removes a follower whose inbox answers 410 Gone (the direct POST first, then Fedify's)", async () => {
    await followFrom(gone, "ghost");
    await gone.waitFor((r) => r.type === "Accept", 15_000);
    expect(await followerIds()).toContain(gone.actor("ghost").id);
    gone.configure({ intercept: () => 410 });
    const push = await server.admin("POST", "/admin/articles", {
      headline: "Envoy arrives in Damascus",
      bodyHtml: "<p>Text</p>",
      feeds: ["us-russia-syria"],
      pinned: true,
    });
    expect(push.status).toBe(201);
    const create = await mastodon.waitFor((r) => r.type === "Create", 15_000);
    // A server whose spec Fedify has learnt (draft-cavage) gets the direct sender's POST.
    expect(create.userAgent).toBe(userAgentFor(server.url));
    expect(create.scheme).toBe("cavage");
    await server.settle();
    expect(await followerIds()).not.toContain(gone.actor("ghost").id);
    expect(await followerIds()).toHaveLength(3);
    // The direct sender declined the 410 to Fedify, whose own attempt met it twice (Fedify knocks
    // again with the other signature spec after any 4xx/5xx) and ran the permanent-failure
    // handler: no retry after that.
    const refused = gone.rejected.filter((r) => r.status === 410).map((r) => r.reason);
    expect(refused).toEqual([
      "intercepted (attempt 1)",
      "intercepted (attempt 2)",
      "intercepted (attempt 3)",
    ]);
  });

  it("shows pinned stories in featured and public posts in the outbox", async () => {
    const featured = (await fetchActor(`${actorId()}/featured`)) as Json;
    const items = featured.orderedItems as Json[] | Json;
    const list = Array.isArray(items) ? items : [items];
    expect(list.map((item) => (item as { content: string }).content)).toEqual([
      expect.stringContaining("Envoy arrives in Damascus"),
    ]);
    const outbox = (await fetchActor(`${actorId()}/outbox`)) as Json;
    expect(outbox.totalItems).toBe(1);
    const page = (await fetchActor(outbox.first as string)) as Json;
    const creates = page.orderedItems as Json | Json[];
    expect((Array.isArray(creates) ? creates[0] : creates)?.type).toBe("Create");
  });

  it("sends Update(actor) to followers when the feed's profile changes", async () => {
    // Served (and so cached) before the edit: the actor endpoint must not keep the old profile.
    const before = (await fetchActor(`${server.url}/ap/feeds/us-russia-syria`)) as Json;
    expect(before.name).not.toBe("Syria: the diplomacy");
    const response = await server.admin("PATCH", "/admin/feeds/us-russia-syria", {
      title: "Syria: the diplomacy",
    });
    expect(response.status).toBe(200);
    const update = await mastodon.waitFor(
      (r) => r.type === "Update" && (r.activity.object as Json).type === "Organization",
      15_000,
    );
    expect((update.activity.object as Json).name).toBe("Syria: the diplomacy");
    const after = (await fetchActor(`${server.url}/ap/feeds/us-russia-syria`)) as Json;
    expect(after.name).toBe("Syria: the diplomacy");
  });

  it("forgets an actor that deleted itself, and ignores what it does not understand", async () => {
    const cat = mastodon.actor("cat");
    const deleted = activity(cat, "Delete", cat.id);
    expect((await postSigned(`${server.url}/ap/inbox`, deleted, { actor: cat })).status).toBe(202);
    const odd = activity(mastodon.actor("ann"), "Move", actorId());
    expect(
      (await postSigned(`${server.url}/ap/inbox`, odd, { actor: mastodon.actor("ann") })).status,
    ).toBe(202);
    await server.settle();
    expect(await followerIds()).toEqual([mastodon.actor("ann").id, mastodon.actor("ben").id]);
  });

  it("reports real user and post counts in NodeInfo", async () => {
    const nodeinfo = (await (await fetch(`${server.url}/nodeinfo/2.1`)).json()) as {
      usage: { users: { total: number }; localPosts: number };
      software: { name: string };
    };
    expect(nodeinfo.software.name).toBe("tidings");
    expect(nodeinfo.usage.users.total).toBe(2);
    expect(nodeinfo.usage.localPosts).toBe(1);
  });

  it("keeps a feed's keys: a new process loads the same pair instead of making one", async () => {
    const served = (await fetchActor(actorId())) as { publicKey: { publicKeyPem: string } };
    // What a freshly started process (empty key cache) would sign with.
    const [rsa] = await new FeedKeyStore(createFeedKeyRepository(server.database.db)).keyPairs(
      "us-russia-syria",
    );
    const spki = Buffer.from(await crypto.subtle.exportKey("spki", rsa?.publicKey as CryptoKey));
    const pem = `-----BEGIN PUBLIC KEY-----\n${spki
      .toString("base64")
      .match(/.{1,64}/g)
      ?.join("\n")}\n-----END PUBLIC KEY-----\n`;
    expect(pem).toBe(served.publicKey.publicKeyPem);
    const keys = await sql<{ algorithm: string; modulusBits: number }>`
      select algorithm, length(decode(translate(public_jwk->>'n', '-_', '+/') || repeat('=', (4 - length(public_jwk->>'n') % 4) % 4), 'base64')) * 8 as modulus_bits
      from feed_keys where feed_slug = 'us-russia-syria' order by algorithm`.execute(
      server.database.db,
    );
    expect(keys.rows).toEqual([
      { algorithm: "ed25519", modulusBits: null },
      { algorithm: "rsa", modulusBits: 2048 },
    ]);
  });
});
