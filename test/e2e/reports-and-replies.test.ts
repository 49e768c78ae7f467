import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DeliverySender } from "../../src/config.ts";
import type { DatabaseKind } from "../support/databases.ts";
import { type FederatedServer, startFederatedServer } from "../support/federated-server.ts";
import {
  activity,
  createNote,
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
interface ReportJson {
  id: string;
  reporterId: string;
  objectIds: string[];
  comment: string;
  status: string;
  resolvedBy: string | null;
  resolutionNote: string | null;
}

/** Reports (`Flag`) from an independent peer, and editors hiding replies (and their authors). */
describe.each(CASES)("reports and hidden replies ($kind, $sender sender)", ({ kind, sender }) => {
  let server: FederatedServer;
  let peer: PeerServer;
  let rejected: PeerServer;
  let articleId: string;

  beforeAll(async () => {
    server = await startFederatedServer(kind, sender);
    peer = await startPeerServer({ host: "127.0.0.4", actors: ["alice", "bob"] });
    rejected = await startPeerServer({ host: "127.0.0.5", actors: ["mallory"] });
    const pushed = await server.admin("POST", "/admin/articles", {
      headline: "A story people argue about",
      bodyHtml: "<p>Text</p>",
      feeds: ["world"],
    });
    articleId = ((await pushed.json()) as { id: string }).id;
  });
  afterAll(async () => {
    await Promise.all([peer?.close(), rejected?.close()]);
    await server?.close();
  });

  const objectId = () => `${server.url}/ap/feeds/world/articles/${articleId}`;
  const sharedInbox = () => `${server.url}/ap/inbox`;
  const reports = async (status = "open") =>
    (
      (await (await server.admin("GET", `/admin/reports?status=${status}`)).json()) as {
        items: ReportJson[];
      }
    ).items;
  const page = async () => {
    const html = await (await fetch(`${server.url}/articles/${articleId}`)).text();
    return { html, replies: /<li>(\d+) repl(?:y|ies)<\/li>/.exec(html)?.[1] };
  };
  const reply = async (actor: PeerActor, text: string) => {
    const note = createNote(actor, `<p>${text}</p>`);
    (note.object as Json).inReplyTo = objectId();
    expect((await postSigned(sharedInbox(), note, { actor })).status).toBe(202);
    return (note.object as Json).id as string;
  };

  it("stores a Flag as an open report, once, with its comment as plain text", async () => {
    const alice = peer.actor("alice");
    const flag = activity(alice, "Flag", [objectId(), `${server.url}/ap/feeds/world`], {
      content: "<p>This is <b>misleading</b><script>x()</script></p>",
    });
    expect((await postSigned(sharedInbox(), flag, { actor: alice })).status).toBe(202);
    expect((await postSigned(sharedInbox(), flag, { actor: alice })).status).toBe(202);
    await server.settle();
    const open = await reports();
    expect(open).toHaveLength(1);
    expect(open[0]).toMatchObject({
      reporterId: alice.id,
      objectIds: [objectId(), `${server.url}/ap/feeds/world`],
      comment: "This is misleading",
      status: "open",
    });
  });

  it("resolves a report, with who did it and a note, and lists it as resolved", async () => {
    const [report] = await reports();
    const response = await server.admin("PATCH", `/admin/reports/${report?.id}`, {
      status: "resolved",
      note: "Checked: the story stands",
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      status: "resolved",
      resolvedBy: "ADMIN_TOKEN",
      resolutionNote: "Checked: the story stands",
    });
    expect(await reports()).toEqual([]);
    expect((await reports("resolved")).map((r) => r.id)).toEqual([report?.id]);
    expect((await server.admin("PATCH", "/admin/reports/nope", { status: "open" })).status).toBe(
      404,
    );
    const bad = await server.admin("PATCH", `/admin/reports/${report?.id}`, { status: "done" });
    expect(bad.status).toBe(422);
  });

  it("drops reports from a server blocked with reject-reports", async () => {
    const block = await server.admin("POST", "/admin/blocks", {
      domain: "127.0.0.5",
      severity: "silence",
      rejectReports: true,
    });
    expect(block.status).toBe(201);
    const mallory = rejected.actor("mallory");
    const flag = activity(mallory, "Flag", [objectId()], { content: "report spam" });
    expect((await postSigned(sharedInbox(), flag, { actor: mallory })).status).toBe(202);
    await server.settle();
    expect((await reports("all")).map((r) => r.reporterId)).not.toContain(mallory.id);
  });

  it("hides a reply from the page and its count, and shows it again", async () => {
    await reply(peer.actor("alice"), "Alice disagrees politely");
    const bobs = await reply(peer.actor("bob"), "Bob shouts abuse");
    await server.settle();
    expect((await page()).replies).toBe("2");

    const hidden = await server.admin("PATCH", `/admin/replies/${encodeURIComponent(bobs)}`, {
      hidden: true,
    });
    expect(hidden.status).toBe(200);
    expect(await hidden.json()).toMatchObject({ id: bobs, block: null });
    const after = await page();
    expect(after.replies).toBe("1");
    expect(after.html).not.toContain("Bob shouts abuse");
    expect(after.html).toContain("Alice disagrees politely");

    const shown = await server.admin("PATCH", `/admin/replies/${encodeURIComponent(bobs)}`, {
      hidden: false,
    });
    expect(((await shown.json()) as Json).hiddenAt).toBeNull();
    expect((await page()).replies).toBe("2");
  });

  it("hides a reply and blocks its author in one call", async () => {
    const bobs = await reply(peer.actor("bob"), "Bob again, worse");
    await server.settle();
    const response = await server.admin("PATCH", `/admin/replies/${encodeURIComponent(bobs)}`, {
      hidden: true,
      blockAuthor: true,
      comment: "abuse",
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { block: Json & { effects: Json } };
    expect(body.block).toMatchObject({
      kind: "actor",
      target: peer.actor("bob").id,
      severity: "suspend",
      comment: "abuse",
    });
    expect(body.block.effects.repliesRemoved).toBe(2);
    const { html, replies } = await page();
    expect(replies).toBe("1");
    expect(html).not.toContain("Bob");
    // The author is blocked: a new reply from him is dropped at the door.
    await reply(peer.actor("bob"), "Bob once more");
    await server.settle();
    expect((await page()).replies).toBe("1");
    const missing = await server.admin(
      "PATCH",
      "/admin/replies/https%3A%2F%2Fnowhere.example%2F1",
      {
        hidden: true,
      },
    );
    expect(missing.status).toBe(404);
  });
});
