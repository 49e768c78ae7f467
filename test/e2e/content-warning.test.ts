import { XMLParser } from "fast-xml-parser";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FederatedServer, startFederatedServer } from "../support/federated-server.ts";
import {
  fetchActor,
  follow,
  type PeerServer,
  postSigned,
  startPeerServer,
} from "../support/fediverse-peer.ts";
import { titles } from "../support/feed-items.ts";
import { fixtureStoryPush } from "../support/fixture-push.ts";

type Json = Record<string, unknown>;
const WARNING = "Images of war & its casualties";

/**
 * War reporting with a content warning: followers get it as the post's `summary` with
 * `sensitive: true` (the lead image marked sensitive too), feeds say it before the story, and
 * the page keeps the image behind a click. The independent peer receives the Create.
 */
describe("content warnings", () => {
  let server: FederatedServer;
  let peer: PeerServer;
  let id: string;

  beforeAll(async () => {
    server = await startFederatedServer("pglite", "direct");
    peer = await startPeerServer({ host: "127.0.0.14", actors: ["alice"] });
    const world = `${server.url}/ap/feeds/world`;
    const followed = await postSigned(`${world}/inbox`, follow(peer.actor("alice"), world), {
      actor: peer.actor("alice"),
    });
    expect(followed.status).toBe(202);
    await peer.waitFor((r) => r.type === "Accept", 15_000);
    const pushed = await server.admin("POST", "/admin/articles", {
      ...fixtureStoryPush(),
      contentWarning: WARNING,
    });
    expect(pushed.status).toBe(201);
    const body = (await pushed.json()) as { id: string; contentWarning: string };
    expect(body.contentWarning).toBe(WARNING);
    id = body.id;
  });
  afterAll(async () => {
    await peer?.close();
    await server?.close();
  });

  it("sends the warning as summary, sensitive, with the image marked sensitive", async () => {
    const create = await peer.waitFor((r) => r.type === "Create", 15_000);
    const note = create.activity.object as Json;
    expect(note.summary).toBe("Images of war &amp; its casualties");
    expect(note.sensitive).toBe(true);
    const attachment = (
      Array.isArray(note.attachment) ? note.attachment[0] : note.attachment
    ) as Json;
    expect(attachment).toMatchObject({ type: "Image", sensitive: true });
    const fetched = await fetchActor(`${server.url}/ap/feeds/world/articles/${id}`, {
      signAs: peer.actor("alice"),
    });
    expect(fetched).toMatchObject({ summary: note.summary, sensitive: true });
  });

  it("says the warning before the story in every feed format, and the feeds stay valid", async () => {
    const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: "@" });
    for (const format of ["rss", "atom", "json"] as const) {
      const response = await fetch(`${server.url}/feeds/world.${format}`);
      expect(response.status).toBe(200);
      const text = await response.text();
      expect(titles(format, text)).toHaveLength(1); // well-formed XML, one item
      let content: string;
      if (format === "json") {
        content = (JSON.parse(text) as { items: { content_html: string }[] }).items[0]
          ?.content_html as string;
      } else {
        const doc = parser.parse(text);
        const item = format === "rss" ? doc.rss.channel.item : doc.feed.entry;
        const raw = format === "rss" ? item["content:encoded"] : item.content;
        content = typeof raw === "string" ? raw : raw["#text"];
      }
      expect(
        content.startsWith("<p><strong>Content warning:</strong> Images of war &amp; its"),
      ).toBe(true);
      expect(content.indexOf("Content warning")).toBeLessThan(content.indexOf("<img"));
    }
  });

  it("keeps the image behind a click on the page, without script", async () => {
    const html = await (await fetch(`${server.url}/articles/${id}`)).text();
    expect(html).toContain("Content warning:");
    const details = html.match(/<details class="sensitive-image">([\s\S]*?)<\/details>/);
    expect(details?.[1]).toContain("<img");
    expect(html.replace(details?.[0] ?? "", "")).not.toMatch(/<img[^>]+assad-interview/);
  });

  it("validates the field, and a PATCH can clear it", async () => {
    const tooLong = await server.admin("PATCH", `/admin/articles/${id}`, {
      contentWarning: "x".repeat(501),
    });
    expect(tooLong.status).toBe(422);
    const problem = (await tooLong.json()) as { errors: { pointer: string }[] };
    expect(problem.errors.map((e) => e.pointer)).toContain("/contentWarning");
    const cleared = await server.admin("PATCH", `/admin/articles/${id}`, { contentWarning: null });
    expect(((await cleared.json()) as Json).contentWarning).toBeNull();
    const update = await peer.waitFor((r) => r.type === "Update", 15_000);
    expect((update.activity.object as Json).sensitive).toBe(false);
  });
});
