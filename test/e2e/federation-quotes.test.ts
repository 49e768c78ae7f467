import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../support/cli-process.ts";
import { DATABASE_KINDS, type DatabaseKind } from "../support/databases.ts";
import { type FederatedServer, startFederatedServer } from "../support/federated-server.ts";
import {
  activity,
  fetchActor,
  follow,
  getSigned,
  type PeerActor,
  type PeerServer,
  postSigned,
  quoteRequest,
  type ReceivedActivity,
  startPeerServer,
} from "../support/fediverse-peer.ts";
import { ADMIN_TOKEN } from "../support/test-app.ts";

type Json = Record<string, unknown>;

const PUBLIC = "https://www.w3.org/ns/activitystreams#Public";
/** Peer hosts per database, so the two describe blocks never share a blocked domain. */
const HOSTS: Record<DatabaseKind, { readonly peer: string; readonly silenced: string }> = {
  postgres: { peer: "127.0.0.41", silenced: "127.0.0.42" },
  pglite: { peer: "127.0.0.43", silenced: "127.0.0.44" },
};

/**
 * Quotes with consent (FEP-044f) against the independent peer, over signed HTTP, with
 * authorized fetch on: each feed's quote policy in its posts' `interactionPolicy`, QuoteRequests
 * answered with Accept (a fetchable QuoteAuthorization) or Reject, blocks, the count on the
 * page, and revocation when the article is deleted or the quoting post is.
 */
describe.each(DATABASE_KINDS)("quotes with consent (%s)", (kind) => {
  let server: FederatedServer;
  let peer: PeerServer; // alice follows the followers-only feed; bob follows nothing
  let silenced: PeerServer; // its domain is silenced here
  let articleId: string;

  const actorUri = (slug: string) => `${server.url}/ap/feeds/${slug}`;
  const objectUri = (slug: string) => `${actorUri(slug)}/articles/${articleId}`;

  /** A GET signed as `actor` (authorized fetch), or unsigned. */
  const get = (url: string, actor?: PeerActor) => getSigned(url, { signAs: actor });

  /** `actor` asks to quote `slug`'s post of the article; resolves with the request sent. */
  const requestQuote = async (actor: PeerActor, slug: string) => {
    const request = quoteRequest(actor, objectUri(slug));
    const response = await postSigned(`${actorUri(slug)}/inbox`, request, { actor });
    expect(response.status).toBe(202);
    return request as Json & { id: string; instrument: { id: string } };
  };

  /** The answer (Accept or Reject) to `request`, as the peer received it. */
  const answerTo = (from: PeerServer, request: { id: string }): Promise<ReceivedActivity> =>
    from.waitFor(
      (r) =>
        (r.type === "Accept" || r.type === "Reject") &&
        (r.activity.object as Json | undefined)?.id === request.id,
      15_000,
    );

  const storedQuotes = async (slug: string) =>
    (
      await sql<{ quotingActor: string; revokedAt: Date | null }>`
        select quoting_actor, revoked_at from quote_authorizations
        where feed_slug = ${slug} order by created_at`.execute(server.database.db)
    ).rows;

  beforeAll(async () => {
    server = await startFederatedServer(kind, "direct", { authorizedFetch: true });
    peer = await startPeerServer({
      host: HOSTS[kind].peer,
      actors: ["alice", "bob", "dave", "erin"],
    });
    silenced = await startPeerServer({ host: HOSTS[kind].silenced, actors: ["sid"] });
    const followersOnly = await server.admin("POST", "/admin/feeds", {
      slug: "quotes-followers",
      title: "For followers",
      quotePolicy: "followers",
    });
    expect(followersOnly.status).toBe(201);
    expect(((await followersOnly.json()) as Json).quotePolicy).toBe("followers");
    const unquotable = await server.admin("POST", "/admin/feeds", {
      slug: "quotes-nobody",
      title: "Not for quoting",
    });
    expect(((await unquotable.json()) as Json).quotePolicy).toBe("everyone");
    const patched = await server.admin("PATCH", "/admin/feeds/quotes-nobody", {
      quotePolicy: "nobody",
    });
    expect(((await patched.json()) as Json).quotePolicy).toBe("nobody");
    const pushed = await server.admin("POST", "/admin/articles", {
      headline: "Ceasefire holds in Aleppo",
      bodyHtml: "<p>Text</p>",
      feeds: ["world", "quotes-followers", "quotes-nobody"],
    });
    expect(pushed.status).toBe(201);
    articleId = ((await pushed.json()) as { id: string }).id;
    const alice = peer.actor("alice");
    const followed = follow(alice, actorUri("quotes-followers"));
    await postSigned(`${actorUri("quotes-followers")}/inbox`, followed, { actor: alice });
    await peer.waitFor((r) => r.type === "Accept" && r.actor === actorUri("quotes-followers"));
    for (const block of [
      { domain: HOSTS[kind].silenced, severity: "silence" },
      { actor: peer.actor("dave").id },
    ]) {
      expect((await server.admin("POST", "/admin/blocks", block)).status).toBe(201);
    }
  });
  afterAll(async () => {
    await Promise.all([peer?.close(), silenced?.close()]);
    await server?.close();
  });

  it("advertises each feed's policy in its posts, the public collection written in full", async () => {
    const reader = peer.actor("bob");
    const policyOf = async (slug: string) =>
      ((await fetchActor(objectUri(slug), { signAs: reader })).interactionPolicy as Json)
        .canQuote as Json;
    expect(await policyOf("world")).toEqual({ automaticApproval: PUBLIC });
    expect(await policyOf("quotes-followers")).toEqual({
      automaticApproval: `${actorUri("quotes-followers")}/followers`,
    });
    // Nobody but the feed itself: a post without canQuote would read as quotable by anyone.
    expect(await policyOf("quotes-nobody")).toEqual({
      automaticApproval: actorUri("quotes-nobody"),
    });
  });

  it("validates the policy (422 problem+json naming the field) and documents it in the OpenAPI", async () => {
    const bad = await server.admin("PATCH", "/admin/feeds/world", { quotePolicy: "friends" });
    expect(bad.status).toBe(422);
    expect(bad.headers.get("content-type")).toBe("application/problem+json");
    const problem = (await bad.json()) as { errors: { pointer: string }[] };
    expect(problem.errors.map((e) => e.pointer)).toEqual(["/quotePolicy"]);
    const feed = (await (await server.admin("GET", "/admin/feeds/world")).json()) as Json;
    expect(feed.quotePolicy).toBe("everyone");
    const openapi = (await (await server.admin("GET", "/admin/openapi.json")).json()) as {
      components: { schemas: Record<string, { properties: Record<string, { enum?: string[] }> }> };
    };
    for (const schema of ["FeedInput", "FeedPatch"]) {
      expect(openapi.components.schemas[schema]?.properties.quotePolicy?.enum).toEqual([
        "everyone",
        "followers",
        "nobody",
      ]);
    }
  });

  it("everyone: answers Accept whose result is a QuoteAuthorization servers can fetch", async () => {
    const bob = peer.actor("bob");
    const request = await requestQuote(bob, "world");
    const answer = await answerTo(peer, request);
    expect(answer.type).toBe("Accept");
    expect(answer.actor).toBe(actorUri("world"));
    expect(answer.recipient).toBe("bob");
    const accept = answer.activity;
    expect(accept.object).toMatchObject({
      id: request.id,
      type: "QuoteRequest",
      actor: bob.id,
      object: objectUri("world"),
      instrument: request.instrument.id,
    });
    const authorizationUri = accept.result as string;
    expect(authorizationUri).toMatch(new RegExp(`^${objectUri("world")}/quotes/[0-9a-f-]{36}$`));
    // As other objects under authorized fetch: only for signed GETs.
    expect((await get(authorizationUri)).status).toBe(401);
    const fetched = await get(authorizationUri, bob);
    expect(fetched.status).toBe(200);
    expect(fetched.headers.get("content-type")).toMatch(/^application\/activity\+json/);
    const authorization = (await fetched.json()) as Json;
    expect(authorization).toMatchObject({
      id: authorizationUri,
      type: "QuoteAuthorization",
      attributedTo: actorUri("world"),
      interactingObject: request.instrument.id,
      interactionTarget: objectUri("world"),
    });
    expect(JSON.stringify(authorization["@context"])).toContain("https://w3id.org/fep/044f");

    // The same request again (Mastodon retries): the same authorization, one stored.
    const again = { ...request, id: `${request.id}-again` };
    await postSigned(`${actorUri("world")}/inbox`, again, { actor: bob });
    const second = await answerTo(peer, again);
    expect(second.activity.result).toBe(authorizationUri);
    expect(await storedQuotes("world")).toEqual([{ quotingActor: bob.id, revokedAt: null }]);
  });

  it("followers: accepts a follower's request and rejects anyone else's", async () => {
    const alice = peer.actor("alice");
    const bob = peer.actor("bob");
    const fromFollower = await answerTo(peer, await requestQuote(alice, "quotes-followers"));
    expect(fromFollower.type).toBe("Accept");
    const fromStranger = await answerTo(peer, await requestQuote(bob, "quotes-followers"));
    expect(fromStranger.type).toBe("Reject");
    expect(fromStranger.activity.result).toBeUndefined();
    expect(await storedQuotes("quotes-followers")).toEqual([
      { quotingActor: alice.id, revokedAt: null },
    ]);
  });

  it("nobody: rejects, and stores nothing", async () => {
    const request = await requestQuote(peer.actor("alice"), "quotes-nobody");
    const answer = await answerTo(peer, request);
    expect(answer.type).toBe("Reject");
    expect(answer.actor).toBe(actorUri("quotes-nobody"));
    expect((answer.activity.object as Json).instrument).toBe(request.instrument.id);
    expect(await storedQuotes("quotes-nobody")).toEqual([]);
  });

  it("refuses a silenced server (Reject) and drops a suspended actor's request unanswered", async () => {
    const fromSilenced = await requestQuote(silenced.actor("sid"), "world");
    expect((await answerTo(silenced, fromSilenced)).type).toBe("Reject");
    const fromSuspended = await requestQuote(peer.actor("dave"), "world");
    await server.settle();
    expect(peer.received.some((r) => (r.activity.object as Json)?.id === fromSuspended.id)).toBe(
      false,
    );
    expect((await storedQuotes("world")).map((q) => q.quotingActor)).toEqual([
      peer.actor("bob").id,
    ]);
  });

  it("counts approved quotes on the article page, with likes, boosts and replies", async () => {
    const page = await (await fetch(`${server.url}/articles/${articleId}`)).text();
    expect(page).toContain("<li>2 quotes</li>");
  });

  it("revokes a quote whose post its author deleted", async () => {
    const alice = peer.actor("alice");
    const request = await requestQuote(alice, "world");
    const accept = await answerTo(peer, request);
    expect(accept.type).toBe("Accept");
    const deleted = activity(alice, "Delete", request.instrument.id);
    expect((await postSigned(`${server.url}/ap/inbox`, deleted, { actor: alice })).status).toBe(
      202,
    );
    await server.settle();
    const gone = await get(accept.activity.result as string, alice);
    expect(gone.status).toBe(410);
    expect(((await gone.json()) as Json).type).toBe("Tombstone");
    const page = await (await fetch(`${server.url}/articles/${articleId}`)).text();
    expect(page).toContain("<li>2 quotes</li>");
  });

  it("suspending an account revokes its quotes with its likes and boosts", async () => {
    const erin = peer.actor("erin");
    const accept = await answerTo(peer, await requestQuote(erin, "world"));
    expect(accept.type).toBe("Accept");
    const block = await server.admin("POST", "/admin/blocks", { actor: erin.id });
    expect(((await block.json()) as { effects: Json }).effects).toEqual({
      followersRemoved: 0,
      interactionsRemoved: 1,
      repliesRemoved: 0,
    });
    expect((await get(accept.activity.result as string, peer.actor("bob"))).status).toBe(410);
    const page = await (await fetch(`${server.url}/articles/${articleId}`)).text();
    expect(page).toContain("<li>2 quotes</li>");
  });

  it("takes quotes of a live update, and revokes them when the update is deleted", async () => {
    const bob = peer.actor("bob");
    const pushed = await server.admin("POST", `/admin/articles/${articleId}/updates`, {
      bodyHtml: "<p>Aid convoys reach the city.</p>",
    });
    expect(pushed.status).toBe(201);
    const updateId = ((await pushed.json()) as { id: string }).id;
    const updateUri = `${objectUri("world")}/updates/${updateId}`;
    const request = quoteRequest(bob, updateUri);
    await postSigned(`${actorUri("world")}/inbox`, request, { actor: bob });
    const accept = await answerTo(peer, request as { id: string });
    expect(accept.type).toBe("Accept");
    const authorizationUri = accept.activity.result as string;
    const authorization = (await (await get(authorizationUri, bob)).json()) as Json;
    expect(authorization.interactionTarget).toBe(updateUri);
    const deleted = await server.admin(
      "DELETE",
      `/admin/articles/${articleId}/updates/${updateId}`,
    );
    expect(deleted.status).toBe(204);
    const revocation = await peer.waitFor(
      (r) => r.type === "Delete" && r.activity.object === authorizationUri,
      15_000,
    );
    expect(revocation.recipient).toBe("bob");
    expect((await get(authorizationUri, bob)).status).toBe(410);
  });

  it("deleting the article revokes its quotes: Delete of each authorization, then 410", async () => {
    const bob = peer.actor("bob");
    const accepted = peer.received.filter(
      (r) => r.type === "Accept" && typeof r.activity.result === "string",
    );
    const live = [
      ...new Set(
        accepted
          .filter((r) => r.recipient === "bob" || r.actor === actorUri("quotes-followers"))
          .map((r) => r.activity.result as string),
      ),
    ];
    expect(live).toHaveLength(3); // bob's of the story and of its update, alice's
    expect((await server.admin("DELETE", `/admin/articles/${articleId}`)).status).toBe(204);
    for (const authorizationUri of live) {
      const deletion = await peer.waitFor(
        (r) => r.type === "Delete" && r.activity.object === authorizationUri,
        15_000,
      );
      expect(deletion.activity.id).toBe(`${authorizationUri}#delete`);
      const gone = await get(authorizationUri, bob);
      expect(gone.status).toBe(410);
      expect((await gone.json()) as Json).toMatchObject({
        id: authorizationUri,
        type: "Tombstone",
      });
    }
    await server.settle();
    expect((await storedQuotes("world")).every((q) => q.revokedAt !== null)).toBe(true);
    expect((await storedQuotes("quotes-followers")).every((q) => q.revokedAt !== null)).toBe(true);
    // A request for the deleted post is ignored: nothing stored, no answer.
    const late = await requestQuote(bob, "world");
    await server.settle();
    expect(peer.received.some((r) => (r.activity.object as Json)?.id === late.id)).toBe(false);
    expect(await storedQuotes("world")).toHaveLength(4);
  });

  it("`tidings feed quotes` sets a feed's policy, and refuses one that is not a policy", async () => {
    const tidings = (args: string[]) =>
      runCli(args, { TIDINGS_URL: server.url, ADMIN_TOKEN: ADMIN_TOKEN });
    const [set, wrong] = await Promise.all([
      tidings(["feed", "quotes", "world", "followers"]),
      tidings(["feed", "quotes", "world", "friends"]),
    ]);
    expect(set.stdout).toBe("feed world: quotes approved for followers\n");
    expect(set.code).toBe(0);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/^error: POLICY must be everyone, followers or nobody/);
    const feed = (await (await server.admin("GET", "/admin/feeds/world")).json()) as Json;
    expect(feed.quotePolicy).toBe("followers");
  });
});
