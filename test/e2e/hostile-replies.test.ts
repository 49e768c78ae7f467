import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPLY_MAX_BYTES } from "../../src/content/reply-html.ts";
import { NESTING_LIMIT } from "../../src/content/sanitize-html.ts";
import type { ArticleOutput } from "../../src/schemas/article.schema.ts";
import { type FederatedServer, startFederatedServer } from "../support/federated-server.ts";
import {
  createNote,
  type PeerServer,
  postSigned,
  startPeerServer,
} from "../support/fediverse-peer.ts";

type Json = Record<string, unknown>;
const BROWSER = "text/html,application/xhtml+xml";

/**
 * The probe's stall: one signed remote account replied with 80,000 nested `<blockquote>`s, and
 * because replies were sanitised again on every view, five anonymous views took 4 to 16 s.
 * Replies are now sanitised once on the way in (nesting bounded, size capped) and shown as
 * stored.
 */
describe("hostile replies from the fediverse", () => {
  let server: FederatedServer;
  let peer: PeerServer;
  let article: ArticleOutput;

  beforeAll(async () => {
    server = await startFederatedServer("postgres");
    peer = await startPeerServer({ host: "127.0.0.1", actors: ["mallory"] });
    const pushed = await server.admin("POST", "/admin/articles", {
      headline: "A story with hostile replies",
      bodyHtml: "<p>Body</p>",
      feeds: ["world"],
    });
    article = (await pushed.json()) as ArticleOutput;
  });
  afterAll(async () => {
    await peer?.close();
    await server?.close();
  });

  const reply = async (html: string) => {
    const note = createNote(peer.actor("mallory"), html);
    (note.object as Json).inReplyTo = `${server.url}/ap/feeds/world/articles/${article.id}`;
    const response = await postSigned(`${server.url}/ap/inbox`, note, {
      actor: peer.actor("mallory"),
    });
    expect(response.status).toBe(202);
    await server.settle();
    return (note.object as Json).id as string;
  };
  const stored = async (id: string) =>
    (
      await sql<{ contentHtml: string }>`
        select content_html as "contentHtml" from article_replies where id = ${id}`.execute(
        server.database.db,
      )
    ).rows[0]?.contentHtml;

  it("stores deeply nested HTML bounded, and renders the page in under 50 ms", async () => {
    // About as deep as fits in an inbox body (256 KiB at 25 bytes a level).
    const depth = 9_500;
    const id = await reply(
      `${"<blockquote>".repeat(depth)}deep text${"</blockquote>".repeat(depth)}`,
    );
    const html = (await stored(id)) ?? "";
    expect(html).toContain("deep text");
    expect(html.match(/<blockquote>/g)?.length ?? 0).toBeLessThanOrEqual(NESTING_LIMIT);

    const timings: number[] = [];
    for (let i = 0; i < 7; i++) {
      const started = performance.now();
      const page = await fetch(`${server.url}/articles/${article.id}`, {
        headers: { accept: BROWSER },
      });
      const text = await page.text();
      timings.push(performance.now() - started);
      expect(page.status).toBe(200);
      expect(text).toContain("deep text");
    }
    timings.sort((a, b) => a - b);
    expect(timings[3]).toBeLessThan(50);
  });

  it("shortens a reply too long to keep, and strips images and scripts from any", async () => {
    const long = `<p>${"Long words go on. ".repeat(5_000)}</p>`;
    const longId = await reply(long);
    const shortened = (await stored(longId)) ?? "";
    expect(Buffer.byteLength(shortened)).toBeLessThanOrEqual(REPLY_MAX_BYTES);
    expect(shortened).toMatch(/^<p>Long words go on\. .*…<\/p>$/);

    const id = await reply(
      '<p>Look <img src="https://peer.example/pixel.png"> <a href="https://peer.example/x">here</a><script>x()</script></p>',
    );
    expect(await stored(id)).toBe(
      '<p>Look  <a href="https://peer.example/x" rel="nofollow ugc">here</a></p>',
    );
  });
});
