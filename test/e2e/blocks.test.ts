import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DeliverySender } from "../../src/config.ts";
import { NOTHING_RESTORED } from "../../src/http/admin-blocks.routes.ts";
import { createFollowerRepository } from "../../src/storage/follower-repository.ts";
import type { DatabaseKind } from "../support/databases.ts";
import { type FederatedServer, startFederatedServer } from "../support/federated-server.ts";
import {
  activity,
  createNote,
  follow,
  type PeerActor,
  type PeerServer,
  postSigned,
  startPeerServer,
} from "../support/fediverse-peer.ts";

const CASES: ReadonlyArray<{ kind: DatabaseKind; sender: DeliverySender }> = [
  { kind: "postgres", sender: "direct" },
  { kind: "pglite", sender: "fedify" },
];

type Json = Record<string, unknown>;

/**
 * Two independent peers (not Fedify) follow `world` over signed HTTP on loopback; one server
 * is blocked. Its inbox traffic is dropped, its followers go and are never delivered to (even a
 * delivery queued before), its likes, boosts and replies leave the page and the counts; the
 * other server is untouched. Silencing only hides replies; unblocking restores nothing.
 */
describe.each(CASES)("blocking a server ($kind, $sender sender)", ({ kind, sender }) => {
  let server: FederatedServer;
  let bad: PeerServer;
  let good: PeerServer;
  let articleId: string;

  beforeAll(async () => {
    server = await startFederatedServer(kind, sender);
    bad = await startPeerServer({ host: "127.0.0.2", actors: ["alice", "bob"] });
    good = await startPeerServer({ host: "127.0.0.3", actors: ["carol"] });
  });
  afterAll(async () => {
    await Promise.all([bad?.close(), good?.close()]);
    await server?.close();
  });

  const world = () => `${server.url}/ap/feeds/world`;
  const objectId = () => `${world()}/articles/${articleId}`;
  const followerIds = async () =>
    (await createFollowerRepository(server.database.db).page("world", null, 100))
      .map((f) => f.actorId)
      .sort();
  const push = async (headline: string) => {
    const response = await server.admin("POST", "/admin/articles", {
      headline,
      bodyHtml: "<p>Text</p>",
      feeds: ["world"],
    });
    expect(response.status).toBe(201);
    return ((await response.json()) as { id: string }).id;
  };
  const createOf = (id: string) => `${world()}/articles/${id}/revisions/1/create`;
  const counts = async () => {
    const html = await (await fetch(`${server.url}/articles/${articleId}`)).text();
    const items = [...html.matchAll(/<li>(\d+ (?:likes?|boosts?|repl(?:y|ies)))<\/li>/g)];
    return { counts: items.map((m) => m[1]), html };
  };
  const reply = async (actor: PeerActor, text: string) => {
    const note = createNote(actor, `<p>${text}</p>`);
    (note.object as Json).inReplyTo = objectId();
    return postSigned(`${server.url}/ap/inbox`, note, { actor });
  };
  const interact = async (actor: PeerActor, type: string) =>
    postSigned(`${world()}/inbox`, activity(actor, type, objectId()), { actor });

  it("starts with both servers following, liking, boosting and replying", async () => {
    for (const actor of [bad.actor("alice"), good.actor("carol")]) {
      expect((await postSigned(`${world()}/inbox`, follow(actor, world()), { actor })).status).toBe(
        202,
      );
    }
    await bad.waitFor((r) => r.type === "Accept", 15_000);
    await good.waitFor((r) => r.type === "Accept", 15_000);
    articleId = await push("Before the block");
    await bad.waitFor((r) => r.activityId === createOf(articleId), 15_000);
    expect((await interact(bad.actor("alice"), "Like")).status).toBe(202);
    expect((await interact(bad.actor("bob"), "Announce")).status).toBe(202);
    expect((await interact(good.actor("carol"), "Like")).status).toBe(202);
    expect((await reply(bad.actor("alice"), "Spam from the bad server")).status).toBe(202);
    expect((await reply(good.actor("carol"), "A fair point from the good one")).status).toBe(202);
    await server.settle();
    const { counts: before, html } = await counts();
    expect(before).toEqual(["2 likes", "1 boost", "2 replies"]);
    expect(html).toContain("Spam from the bad server");
  });

  it("blocks the server: followers, likes, boosts and replies removed, and says how many", async () => {
    const response = await server.admin("POST", "/admin/blocks", {
      domain: "127.0.0.2",
      comment: "spam",
    });
    expect(response.status).toBe(201);
    const body = (await response.json()) as Json;
    expect(body).toMatchObject({
      kind: "domain",
      target: "127.0.0.2",
      severity: "suspend",
      comment: "spam",
      effects: { followersRemoved: 1, interactionsRemoved: 2, repliesRemoved: 1 },
    });
    expect(await followerIds()).toEqual([good.actor("carol").id]);
    const { counts: after, html } = await counts();
    expect(after).toEqual(["1 like", "0 boosts", "1 reply"]);
    expect(html).not.toContain("Spam from the bad server");
    expect(html).toContain("A fair point from the good one");
    // Blocking again changes nothing and says so (200, not 201).
    const again = await server.admin("POST", "/admin/blocks", { domain: "127.0.0.2" });
    expect(again.status).toBe(200);
  });

  it("answers the blocked server's inbox traffic 202 and does nothing with it", async () => {
    const alice = bad.actor("alice");
    const repliedBefore = bad.received.length;
    expect((await interact(alice, "Like")).status).toBe(202);
    expect((await reply(alice, "Still spamming")).status).toBe(202);
    expect(
      (await postSigned(`${world()}/inbox`, follow(alice, world()), { actor: alice })).status,
    ).toBe(202);
    await server.settle();
    expect((await counts()).counts).toEqual(["1 like", "0 boosts", "1 reply"]);
    expect(await followerIds()).toEqual([good.actor("carol").id]);
    expect(bad.received.length).toBe(repliedBefore); // no Accept
  });

  it("never delivers to it, even to a follower stored behind the block's back", async () => {
    // As if the fan-out had been queued before the block: the delivery is dropped when it runs.
    await createFollowerRepository(server.database.db).add(
      "world",
      {
        actorId: bad.actor("bob").id,
        inboxUrl: bad.actor("bob").inbox,
        sharedInboxUrl: null,
        followId: null,
      },
      new Date(),
    );
    const postsBefore = bad.stats().deliveries + bad.stats().rejected;
    const id = await push("After the block");
    await good.waitFor((r) => r.activityId === createOf(id), 15_000);
    await server.settle();
    expect(bad.stats().deliveries + bad.stats().rejected).toBe(postsBefore);
    // The same check where no queue listens (the Worker's queue handler).
    await server.runtime.processQueuedTask({
      type: "outbox",
      inbox: bad.actor("alice").inbox,
      activityId: createOf(id),
      attempt: 0,
    });
    expect(bad.stats().deliveries + bad.stats().rejected).toBe(postsBefore);
  });

  it("unblocks and restores nothing, and says so", async () => {
    const response = await server.admin("DELETE", "/admin/blocks/127.0.0.2");
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ restored: false, detail: NOTHING_RESTORED });
    expect((await counts()).counts).toEqual(["1 like", "0 boosts", "1 reply"]);
    expect((await server.admin("DELETE", "/admin/blocks/127.0.0.2")).status).toBe(404);
  });

  it("silences a server: its replies leave the page and the count, the rest stays", async () => {
    const response = await server.admin("POST", "/admin/blocks", {
      domain: "127.0.0.3",
      severity: "silence",
    });
    expect(response.status).toBe(201);
    expect(((await response.json()) as Json).effects).toEqual({
      followersRemoved: 0,
      interactionsRemoved: 0,
      repliesRemoved: 0,
    });
    const { counts: silenced, html } = await counts();
    expect(silenced).toEqual(["1 like", "0 boosts", "0 replies"]);
    expect(html).not.toContain("A fair point from the good one");
    expect(await followerIds()).toContain(good.actor("carol").id);
    const id = await push("Silenced servers still get the news");
    await good.waitFor((r) => r.activityId === createOf(id), 15_000);
  });

  it("blocks one actor by id: that account only", async () => {
    const response = await server.admin("POST", "/admin/blocks", {
      actor: good.actor("carol").id,
    });
    expect(response.status).toBe(201);
    expect(((await response.json()) as Json).effects).toMatchObject({
      followersRemoved: 1,
      interactionsRemoved: 1,
    });
    expect(await followerIds()).not.toContain(good.actor("carol").id);
    const listed = (await (await server.admin("GET", "/admin/blocks")).json()) as {
      items: Json[];
    };
    expect(listed.items.map((b) => [b.kind, b.target])).toEqual([
      ["actor", good.actor("carol").id],
      ["domain", "127.0.0.3"],
    ]);
  });
});
