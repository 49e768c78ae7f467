import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DATABASE_KINDS } from "../support/databases.ts";
import { type FederatedServer, startFederatedServer } from "../support/federated-server.ts";
import {
  activity,
  createPeerFollows,
  fetchActor,
  type PeerFollows,
  type PeerServer,
  postSigned,
  startPeerServer,
  webfinger,
} from "../support/fediverse-peer.ts";

type Json = Record<string, unknown>;

/**
 * A feed renamed while a Mastodon-like peer (no Fedify) follows it: the peer follows the old
 * handle, receives the Move, verifies it as Mastodon does (signature by the old actor's key,
 * the target's `alsoKnownAs`, WebFinger), follows the new actor, and gets the next story once.
 */
describe.each(DATABASE_KINDS)("a followed feed renamed (%s)", (kind) => {
  let server: FederatedServer;
  let peer: PeerServer;
  let follows: PeerFollows;
  const actor = (slug: string) => `${server.url}/ap/feeds/${slug}`;
  const acct = (slug: string) => `acct:${slug}@${server.host}`;
  const followerRows = async () =>
    (
      await sql<{ feedSlug: string; actorId: string }>`
        select feed_slug as "feedSlug", actor_id as "actorId" from followers
        order by feed_slug, actor_id`.execute(server.database.db)
    ).rows;

  beforeAll(async () => {
    server = await startFederatedServer(kind);
    follows = createPeerFollows();
    peer = await startPeerServer({
      host: "127.0.0.6",
      actors: ["ann", "ben"],
      onAccepted: (record, duplicate) => follows.onAccepted(record, duplicate),
    });
  });
  afterAll(async () => {
    await peer?.close();
    await server?.close();
  });

  it("is followed under its old handle", async () => {
    const oldActor = await webfinger(server.url, acct("us-russia-syria"));
    expect(oldActor).toBe(actor("us-russia-syria"));
    for (const name of ["ann", "ben"]) await follows.follow(peer.actor(name), oldActor);
    await peer.waitForCount((r) => r.type === "Accept", 2, 15_000);
    expect(await followerRows()).toEqual([
      { feedSlug: "us-russia-syria", actorId: peer.actor("ann").id },
      { feedSlug: "us-russia-syria", actorId: peer.actor("ben").id },
    ]);
  });

  it("sends a Move signed by the old actor, which the peer verifies and follows to the new actor", async () => {
    const renamed = await server.admin("PATCH", "/admin/feeds/us-russia-syria", {
      slug: "syria-talks",
    });
    expect(renamed.status).toBe(200);
    const [outcome] = await follows.waitForMoves(1, 15_000);
    expect(outcome).toEqual({
      result: "moved",
      origin: actor("us-russia-syria"),
      target: actor("syria-talks"),
      followers: [peer.actor("ann").id, peer.actor("ben").id],
    });
    // One Move per inbox server (the shared inbox), from the old actor with its own key.
    const received = peer.received.filter((r) => r.type === "Move");
    expect(received).toHaveLength(1);
    expect(received[0]?.keyId).toMatch(new RegExp(`^${actor("us-russia-syria")}#`));
    expect(received[0]?.activity).toMatchObject({
      actor: actor("us-russia-syria"),
      object: actor("us-russia-syria"),
      target: actor("syria-talks"),
      to: `${actor("us-russia-syria")}/followers`,
    });
    // The re-Follows of the new actor are accepted, and nothing is duplicated.
    await peer.waitUntil(
      () =>
        peer.received.filter((r) => r.type === "Accept" && r.actor === actor("syria-talks"))
          .length === 2,
      15_000,
    );
    await server.settle();
    expect(await followerRows()).toEqual([
      { feedSlug: "syria-talks", actorId: peer.actor("ann").id },
      { feedSlug: "syria-talks", actorId: peer.actor("ben").id },
    ]);
    expect(follows.following(peer.actor("ann"))).toEqual([actor("syria-talks")]);
  });

  it("serves the old actor (200, movedTo), the new one (alsoKnownAs) and WebFinger for both", async () => {
    const old = (await fetchActor(actor("us-russia-syria"))) as Json;
    expect(old).toMatchObject({
      id: actor("us-russia-syria"),
      preferredUsername: "us-russia-syria",
      movedTo: actor("syria-talks"),
      inbox: `${actor("us-russia-syria")}/inbox`,
    });
    expect((old.publicKey as Json).id).toBe(`${actor("us-russia-syria")}#main-key`);
    const current = (await fetchActor(actor("syria-talks"))) as Json;
    expect(current).toMatchObject({ id: actor("syria-talks"), preferredUsername: "syria-talks" });
    // Compacted JSON-LD: one alias is a plain string (Mastodon reads either).
    expect([current.alsoKnownAs].flat()).toEqual([actor("us-russia-syria")]);
    expect(current.movedTo).toBeUndefined();
    // The old actor keeps the key servers cached for it: the same key material as before.
    expect((old.publicKey as Json).publicKeyPem).toBe((current.publicKey as Json).publicKeyPem);
    expect(await webfinger(server.url, acct("us-russia-syria"))).toBe(actor("us-russia-syria"));
    expect(await webfinger(server.url, acct("syria-talks"))).toBe(actor("syria-talks"));
  });

  it("delivers the next story once per server, from the new actor", async () => {
    peer.reset();
    const push = await server.admin("POST", "/admin/articles", {
      headline: "Ceasefire holds",
      bodyHtml: "<p>Quiet night.</p>",
      feeds: ["syria-talks"],
    });
    expect(push.status).toBe(201);
    await peer.waitFor((r) => r.type === "Create", 15_000);
    await server.settle();
    const creates = peer.received.filter((r) => r.type === "Create");
    expect(creates.map((r) => r.actor)).toEqual([actor("syria-talks")]);
    expect(peer.stats().duplicates).toBe(0);
  });

  it("moves the followers along a chain (a -> b -> c): the next Move comes from b", async () => {
    const renamed = await server.admin("PATCH", "/admin/feeds/syria-talks", {
      slug: "syria-peace",
    });
    expect(renamed.status).toBe(200);
    const outcomes = await follows.waitForMoves(2, 15_000);
    expect(outcomes[1]).toEqual({
      result: "moved",
      origin: actor("syria-talks"),
      target: actor("syria-peace"),
      followers: [peer.actor("ann").id, peer.actor("ben").id],
    });
    const current = (await fetchActor(actor("syria-peace"))) as Json;
    expect([current.alsoKnownAs].flat()).toEqual([actor("us-russia-syria"), actor("syria-talks")]);
    for (const old of ["us-russia-syria", "syria-talks"]) {
      expect(((await fetchActor(actor(old))) as Json).movedTo).toBe(actor("syria-peace"));
    }
    await server.settle();
    expect((await followerRows()).map((row) => row.feedSlug)).toEqual([
      "syria-peace",
      "syria-peace",
    ]);
  });

  it("has the peer refuse, as Mastodon does, a Move to an account that does not name the origin", async () => {
    const other = await startPeerServer({ host: "127.0.0.7", actors: ["eve"] });
    try {
      const eve = other.actor("eve");
      const claim = (object: string) =>
        activity(eve, "Move", object, { target: actor("syria-peace") });
      for (const move of [claim(eve.id), claim(actor("syria-peace"))]) {
        const response = await postSigned(peer.inboxUrl(), move, { actor: eve });
        expect(response.status).toBe(202);
      }
      const outcomes = await follows.waitForMoves(4, 15_000);
      expect(outcomes.slice(2)).toEqual([
        {
          result: "refused",
          origin: eve.id,
          reason: "the target's alsoKnownAs does not name the origin",
        },
        { result: "refused", origin: eve.id, reason: "the Move's object is not its actor" },
      ]);
      expect(follows.following(peer.actor("ann"))).toEqual([actor("syria-peace")]);
    } finally {
      await other.close();
    }
  });
});
