import { sql } from "kysely";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { DeliverySender } from "../../src/config.ts";
import { userAgentFor } from "../../src/federation/federation.ts";
import type { ArticleOutput } from "../../src/schemas/article.schema.ts";
import type { DatabaseKind } from "../support/databases.ts";
import { type FederatedServer, startFederatedServer } from "../support/federated-server.ts";
import {
  activity,
  createNote,
  fetchActor,
  follow,
  generatePeerKeyPair,
  type PeerServer,
  postSigned,
  startPeerServer,
  undo,
  webfinger,
} from "../support/fediverse-peer.ts";

type Json = Record<string, unknown>;

/**
 * A Mastodon-like peer written with node:crypto (not Fedify) follows the `world` feed over
 * real signed HTTP on loopback, and sees what its users would see: on both databases with the
 * default sender, and once with Fedify sending every POST (DELIVERY_SENDER=fedify).
 */
const CASES: ReadonlyArray<{ kind: DatabaseKind; sender: DeliverySender }> = [
  { kind: "postgres", sender: "direct" },
  { kind: "pglite", sender: "direct" },
  { kind: "postgres", sender: "fedify" },
];

describe.each(CASES)(
  "a fediverse peer following a feed ($kind, $sender sender)",
  ({ kind, sender }) => {
    // The server and the peer are shared; what a case needs (a follower, an article) it makes
    // itself, and each case starts with no followers, no pending work and nothing received, so
    // the cases run in any order (`--sequence.shuffle`) or alone.
    let server: FederatedServer;
    let peer: PeerServer;
    const actorId = () => `${server.url}/ap/feeds/world`;
    const inbox = () => `${actorId()}/inbox`;

    beforeAll(async () => {
      server = await startFederatedServer(kind, sender);
      peer = await startPeerServer({ host: "127.0.0.1", actors: ["alice", "bob"] });
    });
    beforeEach(async () => {
      await server.settle();
      await sql`delete from followers where feed_slug = 'world'`.execute(server.database.db);
      peer.reset();
    });
    afterAll(async () => {
      await peer?.close();
      await server?.close();
    });

    const alice = () => peer.actor("alice");
    const followers = async () =>
      (
        await sql<{
          actorId: string;
        }>`select actor_id from followers where feed_slug = 'world'`.execute(server.database.db)
      ).rows.map((row) => row.actorId); // the CamelCasePlugin renames result columns
    const objectId = (articleId: string) => `${server.url}/ap/feeds/world/articles/${articleId}`;
    /** Who sent a delivery: our direct sender names itself; Fedify's fetch does not. */
    const sentBy = (delivery: { userAgent: string | null }) =>
      delivery.userAgent === userAgentFor(server.url) ? "direct" : "fedify";

    /** alice follows the feed; resolves with the Follow once the feed's Accept has arrived. */
    const aliceFollows = async () => {
      const request = follow(alice(), actorId());
      const response = await postSigned(inbox(), request, { actor: alice() });
      expect(response.status).toBe(202);
      const accept = await peer.waitFor((r) => r.type === "Accept", 15_000);
      return { request, accept };
    };
    /** Pushes an article to `world`; resolves with its id and the Create the peer received. */
    const pushArticle = async () => {
      const response = await server.admin("POST", "/admin/articles", {
        headline: "Kerry and Lavrov agree next steps on Syria",
        standfirst: "Talks continue in Geneva.",
        bodyHtml: "<p>Diplomats met on Tuesday.</p>",
        feeds: ["world"],
        tags: ["Syria"],
      });
      expect(response.status).toBe(201);
      const articleId = ((await response.json()) as ArticleOutput).id;
      const create = await peer.waitFor(
        (r) => r.type === "Create" && (r.activity.object as Json).id === objectId(articleId),
        15_000,
      );
      return { articleId, create };
    };

    it("finds the feed by WebFinger and reads its actor", async () => {
      const actorId = await webfinger(server.url, `acct:world@${server.host}`);
      expect(actorId).toBe(`${server.url}/ap/feeds/world`);
      const actor = (await fetchActor(actorId)) as Json & {
        publicKey: { id: string; owner: string; publicKeyPem: string };
        endpoints: { sharedInbox: string };
      };
      expect(actor.type).toBe("Organization");
      expect(actor.preferredUsername).toBe("world");
      expect(actor.url).toBe(`${server.url}/world`);
      expect(actor.manuallyApprovesFollowers).toBe(false);
      expect(actor.discoverable).toBe(true);
      expect(actor.endpoints.sharedInbox).toBe(`${server.url}/ap/inbox`);
      expect(actor.publicKey.owner).toBe(actorId);
      expect(actor.publicKey.publicKeyPem).toMatch(/^-----BEGIN PUBLIC KEY-----/);
      expect(actor.inbox).toBe(inbox());
    });

    it("refuses a Follow signed with a key the actor does not own", async () => {
      const forger = { ...alice(), privateKey: generatePeerKeyPair().privateKey };
      const response = await postSigned(inbox(), follow(forger, actorId()), { actor: forger });
      expect(response.status).toBe(401);
      const unsigned = await fetch(inbox(), {
        method: "POST",
        headers: { "content-type": "application/activity+json" },
        body: JSON.stringify(follow(alice(), actorId())),
      });
      expect(unsigned.status).toBe(401);
      expect(await followers()).toEqual([]);
    });

    it("answers a signed Follow with an Accept signed by the feed", async () => {
      const { request, accept } = await aliceFollows();
      expect(accept.actor).toBe(actorId());
      expect(accept.keyId.startsWith(actorId())).toBe(true);
      // Fetching alice's key to verify the Follow taught Fedify which signature spec the peer
      // accepts (RFC 9421), so even this first POST is the configured sender's.
      expect(sentBy(accept)).toBe(sender);
      expect(accept.scheme).toBe("rfc9421");
      const object = accept.activity.object as Json | string;
      expect(typeof object === "string" ? object : object.id).toBe(request.id);
      expect(await followers()).toEqual([alice().id]);
    });

    it("delivers Create for a pushed article, signed by the feed", async () => {
      await aliceFollows();
      const { articleId, create } = await pushArticle();
      expect(create.actor).toBe(actorId());
      expect(create.inbox).toBe(`${peer.origin}/inbox`); // shared inbox
      expect(sentBy(create)).toBe(sender);
      expect(create.scheme).toBe("rfc9421");
      const note = create.activity.object as Json;
      expect(note.id).toBe(objectId(articleId));
      expect(note.type).toBe("Note");
      expect(note.url).toBe(`${server.url}/articles/${articleId}`);
      expect(note.content).toContain("<strong>Kerry and Lavrov agree next steps on Syria</strong>");
    });

    it("delivers Update with a later `updated` for a PATCH", async () => {
      await aliceFollows();
      const { articleId } = await pushArticle();
      const response = await server.admin("PATCH", `/admin/articles/${articleId}`, {
        headline: "Kerry and Lavrov agree concrete steps on Syria",
      });
      expect(response.status).toBe(200);
      const update = await peer.waitFor((r) => r.type === "Update", 15_000);
      expect(sentBy(update)).toBe(sender);
      const note = update.activity.object as Json;
      expect(note.id).toBe(objectId(articleId));
      expect(note.content).toContain("concrete steps");
      expect(Date.parse(note.updated as string)).toBeGreaterThan(
        Date.parse(note.published as string),
      );
    });

    it("counts likes and boosts and keeps replies", async () => {
      await aliceFollows();
      const { articleId } = await pushArticle();
      const like = activity(alice(), "Like", objectId(articleId));
      expect((await postSigned(inbox(), like, { actor: alice() })).status).toBe(202);
      const boost = activity(peer.actor("bob"), "Announce", objectId(articleId));
      expect((await postSigned(inbox(), boost, { actor: peer.actor("bob") })).status).toBe(202);
      const reply = createNote(alice(), "<p>Good news <script>x()</script></p>");
      (reply.object as Json).inReplyTo = objectId(articleId);
      expect((await postSigned(`${server.url}/ap/inbox`, reply, { actor: alice() })).status).toBe(
        202,
      );
      await server.settle();
      const counts = await sql<{ kind: string; n: number }>`
      select kind, count(*)::int as n from article_interactions where article_id = ${articleId}
      group by kind order by kind`.execute(server.database.db);
      expect(counts.rows).toEqual([
        { kind: "announce", n: 1 },
        { kind: "like", n: 1 },
      ]);
      const replies = await sql<{ contentHtml: string }>`
      select content_html from article_replies where article_id = ${articleId}`.execute(
        server.database.db,
      );
      expect(replies.rows).toEqual([{ contentHtml: "<p>Good news </p>" }]);
      const unlike = undo(alice(), like);
      expect((await postSigned(inbox(), unlike, { actor: alice() })).status).toBe(202);
      await server.settle();
      const likes = await sql<{ n: number }>`
      select count(*)::int as n from article_interactions
      where kind = 'like' and article_id = ${articleId}`.execute(server.database.db);
      expect(likes.rows[0]?.n).toBe(0);
    });

    it("delivers Delete with a Tombstone, and the object answers 410", async () => {
      await aliceFollows();
      const { articleId } = await pushArticle();
      const response = await server.admin("DELETE", `/admin/articles/${articleId}`);
      expect(response.status).toBe(204);
      const del = await peer.waitFor((r) => r.type === "Delete", 15_000);
      expect(sentBy(del)).toBe(sender);
      const tombstone = del.activity.object as Json;
      expect(tombstone.type).toBe("Tombstone");
      expect(tombstone.id).toBe(objectId(articleId));
      const gone = await fetch(objectId(articleId), {
        headers: { accept: "application/activity+json" },
      });
      expect(gone.status).toBe(410);
    });

    it("stops delivering after Undo(Follow)", async () => {
      const { request } = await aliceFollows();
      expect(await followers()).toEqual([alice().id]);
      const response = await postSigned(inbox(), undo(alice(), request), { actor: alice() });
      expect(response.status).toBe(202);
      await server.settle();
      expect(await followers()).toEqual([]);
      const before = peer.received.length;
      const push = await server.admin("POST", "/admin/articles", {
        headline: "Nobody follows this any more",
        bodyHtml: "<p>Text</p>",
        feeds: ["world"],
      });
      expect(push.status).toBe(201);
      await server.settle();
      expect(peer.received.slice(before)).toEqual([]);
    });
  },
);
