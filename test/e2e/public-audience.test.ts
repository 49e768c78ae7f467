import { afterAll, beforeAll, describe, expect, it } from "vitest";
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
const PUBLIC = "https://www.w3.org/ns/activitystreams#Public";

/** Every string value anywhere in a document, outside `@context`, with the key it sits under. */
function values(doc: unknown, key = ""): Array<[string, string]> {
  if (typeof doc === "string") return [[key, doc]];
  if (Array.isArray(doc)) return doc.flatMap((item) => values(item, key));
  if (doc && typeof doc === "object") {
    return Object.entries(doc).flatMap(([k, v]) => (k === "@context" ? [] : values(v, k)));
  }
  return [];
}

/**
 * Older Mastodon and others read addressing as plain strings: every document we serve by GET,
 * and what we deliver, writes the public collection as its full URI, never `as:Public`.
 * An independent peer (no Fedify) reads them with signed GETs over loopback.
 */
describe("the public audience written out in full", () => {
  let server: FederatedServer;
  let peer: PeerServer;
  const urls: Record<string, string> = {};

  beforeAll(async () => {
    server = await startFederatedServer("pglite", "direct");
    peer = await startPeerServer({ host: "127.0.0.12", actors: ["alice"] });
    const feed = await server.admin("POST", "/admin/feeds", {
      slug: "longreads",
      title: "Long reads",
      objectType: "Article",
    });
    expect(feed.status).toBe(201);
    const world = `${server.url}/ap/feeds/world`;
    const followed = await postSigned(`${world}/inbox`, follow(peer.actor("alice"), world), {
      actor: peer.actor("alice"),
    });
    expect(followed.status).toBe(202);
    await peer.waitFor((r) => r.type === "Accept", 15_000);
    const push = async (feeds: string[], extra: Json = {}) => {
      const response = await server.admin("POST", "/admin/articles", {
        headline: "Addressed to everyone",
        standfirst: "Public, in full.",
        bodyHtml: "<p>Text</p>",
        feeds,
        tags: ["Syria"],
        ...extra,
      });
      expect(response.status).toBe(201);
      return ((await response.json()) as { id: string }).id;
    };
    const note = await push(["world"], { pinned: true });
    const article = await push(["longreads"]);
    const gone = await push(["world"]);
    const update = await server.admin("POST", `/admin/articles/${note}/updates`, {
      bodyHtml: "<p>A live update</p>",
    });
    expect(update.status).toBe(201);
    const updateId = ((await update.json()) as { id: string }).id;
    expect((await server.admin("DELETE", `/admin/articles/${gone}`)).status).toBe(204);
    Object.assign(urls, {
      actor: world,
      note: `${world}/articles/${note}`,
      liveUpdate: `${world}/articles/${note}/updates/${updateId}`,
      article: `${server.url}/ap/feeds/longreads/articles/${article}`,
      tombstone: `${world}/articles/${gone}`,
      outbox: `${world}/outbox`,
      featured: `${world}/featured`,
      followers: `${world}/followers`,
    });
  });
  afterAll(async () => {
    await peer?.close();
    await server?.close();
  });

  const get = async (url: string) => {
    const actor = peer.actors[0];
    if (!actor) throw new Error("the peer has no actor");
    const headers = await signRequest({
      method: "GET",
      url,
      headers: { accept: ACTIVITY_JSON_ACCEPT },
      keyId: actor.keyId,
      privateKey: actor.privateKey,
    });
    delete headers.host;
    return fetch(url, { headers });
  };

  it("serves every object type with the full public URI", async () => {
    const seen: string[] = [];
    const outbox = (await (await get(urls.outbox ?? "")).json()) as Json;
    const first = typeof outbox.first === "string" ? outbox.first : (outbox.first as Json).id;
    urls.outboxPage = String(first);
    for (const [name, url] of Object.entries(urls)) {
      const response = await get(url);
      expect([200, 410], name).toContain(response.status);
      const doc = (await response.json()) as Json;
      seen.push(String(doc.type));
      const strings = values(doc);
      expect(
        strings.filter(([, v]) => v === "as:Public" || v === "Public"),
        name,
      ).toEqual([]);
      if (!["actor", "tombstone", "followers", "outbox"].includes(name)) {
        expect(
          strings.some(([k, v]) => k === "to" && v === PUBLIC),
          name,
        ).toBe(true);
      }
    }
    expect(seen).toEqual(
      expect.arrayContaining([
        "Organization",
        "Note",
        "Article",
        "Tombstone",
        "OrderedCollection",
        "OrderedCollectionPage",
      ]),
    );
  });

  it("addresses what it delivers to the full public URI", async () => {
    const create = await peer.waitFor((r) => r.type === "Create", 15_000);
    const object = create.activity.object as Json;
    expect(create.activity.to).toBe(PUBLIC);
    expect(object.to).toBe(PUBLIC);
  });
});
