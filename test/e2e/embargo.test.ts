import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ArticleOutput } from "../../src/schemas/article.schema.ts";
import { DATABASE_KINDS } from "../support/databases.ts";
import { type FederatedServer, startFederatedServer } from "../support/federated-server.ts";
import {
  activity,
  createNote,
  follow,
  type PeerServer,
  postSigned,
  type ReceivedActivity,
  startPeerServer,
} from "../support/fediverse-peer.ts";
import { fixedClock } from "../support/test-app.ts";
import {
  type ReceivedDelivery,
  type Subscriber,
  startSubscriber,
} from "../support/websub-subscriber.ts";

type Json = Record<string, unknown>;

const STORY = "us-russia-syria";
const TAG = "syria";
const HOUR = 3_600_000;
/** Words that appear nowhere but in the embargoed article and update. */
const EMBARGOED_HEADLINE = "Ceasefire signed at dawn";
const EMBARGOED_UPDATE = "Ink dries on the accord";
const AS_ACCEPT = "application/activity+json";
const HTML_ACCEPT = "text/html";

interface Seen {
  readonly status: number;
  readonly etag: string | null;
  readonly text: string;
}

/** Every public surface that could show an article, its updates or their count. */
const SURFACES: readonly {
  readonly name: string;
  readonly path: string;
  readonly accept?: string;
}[] = [
  { name: "RSS", path: `/feeds/${STORY}.rss` },
  { name: "Atom", path: `/feeds/${STORY}.atom` },
  { name: "JSON Feed", path: `/feeds/${STORY}.json` },
  { name: "archive RSS", path: `/feeds/${STORY}/archive/1.rss` },
  { name: "archive Atom", path: `/feeds/${STORY}/archive/1.atom` },
  { name: "archive JSON Feed", path: `/feeds/${STORY}/archive/1.json` },
  { name: "tag RSS", path: `/tags/${TAG}.rss` },
  { name: "tag Atom", path: `/tags/${TAG}.atom` },
  { name: "tag JSON Feed", path: `/tags/${TAG}.json` },
  { name: "feed page", path: `/${STORY}`, accept: HTML_ACCEPT },
  { name: "tag page", path: `/tags/${TAG}`, accept: HTML_ACCEPT },
  { name: "front page", path: "/", accept: HTML_ACCEPT },
  { name: "actor", path: `/ap/feeds/${STORY}`, accept: AS_ACCEPT },
  { name: "outbox", path: `/ap/feeds/${STORY}/outbox`, accept: AS_ACCEPT },
  { name: "outbox page", path: `/ap/feeds/${STORY}/outbox?cursor=`, accept: AS_ACCEPT },
  { name: "featured", path: `/ap/feeds/${STORY}/featured`, accept: AS_ACCEPT },
  { name: "NodeInfo", path: "/nodeinfo/2.1", accept: "application/json" },
];
/** Of these, the feed documents (a release is what changes them, not the clock's passing). */
const DOCUMENTS = [
  "RSS",
  "Atom",
  "JSON Feed",
  "archive RSS",
  "archive Atom",
  "archive JSON Feed",
  "tag RSS",
  "tag Atom",
  "tag JSON Feed",
];
/** Of these, the ones whose content must change when the embargo lifts. */
const SHOWS_ARTICLE = [
  ...DOCUMENTS,
  "feed page",
  "tag page",
  "front page",
  "outbox page",
  "featured",
];
const SHOWS_UPDATE = ["RSS", "Atom", "JSON Feed"];

/** The peer's `reader` follows the story's actor (and is accepted). */
async function followStory(server: FederatedServer, peer: PeerServer): Promise<void> {
  const reader = peer.actor("reader");
  const actorId = `${server.url}/ap/feeds/${STORY}`;
  const response = await postSigned(`${actorId}/inbox`, follow(reader, actorId), { actor: reader });
  expect(response.status).toBe(202);
  await peer.waitFor((r) => r.type === "Accept", 15_000);
}

/**
 * Embargoes (issue 12.6): an article and a live update with a future `publishedAt` show
 * nowhere, not even in an ETag or a count, until their time; then everything shows them and
 * followers get one Create. Moving the time, or deleting before it, sends nothing early and
 * nothing twice. On a clock the test moves; over signed HTTP to a loopback follower.
 */
describe.each(DATABASE_KINDS)("embargoes on %s", (kind) => {
  const clock = fixedClock(new Date());
  let server: FederatedServer;
  let peer: PeerServer;
  let websub: Subscriber;
  let baseline: Map<string, Seen>;
  let release: Date;
  let embargoed: ArticleOutput;

  const read = async (path: string, accept?: string): Promise<Seen> => {
    const response = await fetch(new URL(path, server.url), {
      headers: accept ? { accept } : {},
      redirect: "manual",
    });
    return {
      status: response.status,
      etag: response.headers.get("etag"),
      text: await response.text(),
    };
  };
  const readAll = async () =>
    new Map(
      await Promise.all(
        SURFACES.map(async ({ name, path, accept }) => [name, await read(path, accept)] as const),
      ),
    );
  const webfinger = () =>
    read(`/.well-known/webfinger?resource=acct:${STORY}@${server.host}`, "application/jrd+json");
  const push = async (body: Json): Promise<ArticleOutput> => {
    const response = await server.admin("POST", "/admin/articles", body);
    expect(response.status).toBe(201);
    return (await response.json()) as ArticleOutput;
  };
  const about = (id: string) => (r: ReceivedActivity) =>
    JSON.stringify(r.activity.object ?? "").includes(id);
  const createsOf = (id: string) =>
    peer.received.filter((r) => r.type === "Create" && about(id)(r));

  /**
   * Nothing left to do by the app's clock: no outbox entry due, nothing in Fedify's queue due or
   * in hand (delayed messages, such as a WebSub topic job waiting for the next release, wait).
   */
  const quiet = async () => {
    server.runtime.relay.wake();
    const deadline = Date.now() + 15_000;
    for (;;) {
      const { rows } = await sql<{ due: number; queued: number }>`
        select (select count(*)::int from federation_outbox
                 where processed_at is null and available_at <= ${clock.now()}) as due,
               (select count(*)::int from fedify_messages
                 where available_at <= now() or locked_by is not null) as queued`.execute(
        server.database.db,
      );
      if (rows[0]?.due === 0 && rows[0]?.queued === 0) return;
      if (Date.now() > deadline) throw new Error(`still busy: ${JSON.stringify(rows[0])}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  };
  /** A like and a reply from the follower to the embargoed article's id, both accepted (202). */
  const reactToEmbargoed = async () => {
    const reader = peer.actor("reader");
    const objectId = `${server.url}/ap/feeds/${STORY}/articles/${embargoed.id}`;
    const reply = createNote(reader, "<p>First!</p>");
    (reply.object as Json).inReplyTo = objectId;
    for (const sent of [activity(reader, "Like", objectId), reply]) {
      const response = await postSigned(`${server.url}/ap/inbox`, sent, { actor: reader });
      expect(response.status).toBe(202);
    }
    await quiet();
  };
  /** Likes and replies stored for the embargoed article. */
  const reactionsStored = async () => {
    const { rows } = await sql<{ likes: number; replies: number }>`
      select (select count(*)::int from article_interactions where article_id = ${embargoed.id}) as likes,
             (select count(*)::int from article_replies where article_id = ${embargoed.id}) as replies`.execute(
      server.database.db,
    );
    return rows[0];
  };
  /** Moves the app's clock and lets the relay look at once. */
  const moveClockTo = (at: Date) => {
    clock.set(at);
    server.runtime.relay.wake();
  };

  beforeAll(async () => {
    server = await startFederatedServer(kind, "direct", { clock });
    peer = await startPeerServer({
      host: kind === "postgres" ? "127.0.0.32" : "127.0.0.33",
      actors: ["reader"],
    });
    await followStory(server, peer);
    websub = await startSubscriber();
    const hub = await fetch(new URL("/websub", server.url), {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        "hub.mode": "subscribe",
        "hub.topic": `${server.url}/feeds/${STORY}.rss`,
        "hub.callback": `${websub.url}/cb`,
      }).toString(),
    });
    expect(hub.status).toBe(202);
    await websub.verification(1);
    // A public, pinned, tagged live story: the surfaces have something to show already.
    const story = await push({
      headline: "Envoys gather in Geneva",
      bodyHtml: "<p>Talks begin.</p>",
      feeds: [STORY],
      tags: ["Syria"],
      pinned: true,
      publishedAt: new Date(clock.now().getTime() - HOUR).toISOString(),
    });
    const update = await server.admin("POST", `/admin/articles/${story.id}/updates`, {
      bodyHtml: "<p>Delegations arrive.</p>",
      publishedAt: new Date(clock.now().getTime() - HOUR / 2).toISOString(),
    });
    expect(update.status).toBe(201);
    await peer.waitFor((r) => r.type === "Create" && about(story.id)(r), 15_000);
    await quiet();
    baseline = await readAll();
    for (const [name, seen] of baseline) expect(seen.status, name).toBe(200);

    // Time passes before the embargoed push: a leak through any date would show.
    clock.advance(60_000);
    release = new Date(clock.now().getTime() + HOUR);
    embargoed = await push({
      headline: EMBARGOED_HEADLINE,
      bodyHtml: "<p>The text of the accord.</p>",
      feeds: [STORY],
      tags: ["Syria"],
      pinned: true,
      publishedAt: release.toISOString(),
    });
    const scheduledUpdate = await server.admin("POST", `/admin/articles/${story.id}/updates`, {
      bodyHtml: `<p>${EMBARGOED_UPDATE}</p>`,
      publishedAt: release.toISOString(),
    });
    expect(scheduledUpdate.status).toBe(201);
    await quiet();
  });
  afterAll(async () => {
    await websub?.close();
    await peer?.close();
    await server?.close();
  });

  /** The first WebSub content POST from the `from`-th on (1-based) that says `text`. */
  const pushedWith = async (text: string, from: number): Promise<ReceivedDelivery> => {
    const deadline = AbortSignal.timeout(15_000);
    const timedOut = new Promise<never>((_, reject) =>
      deadline.addEventListener("abort", () => reject(new Error(`no WebSub push with "${text}"`))),
    );
    timedOut.catch(() => undefined); // raced below; no complaint once the push has come
    for (let n = from; ; n++) {
      const delivery = await Promise.race([websub.delivery(n), timedOut]);
      if (delivery.body.toString("utf8").includes(text)) return delivery;
    }
  };

  it.each(SURFACES.map((surface) => surface.name))(
    "before release, %s is byte for byte (and ETag) what it was before the push",
    async (name) => {
      const surface = SURFACES.find((s) => s.name === name);
      const now = await read(surface?.path ?? "", surface?.accept);
      const before = baseline.get(name);
      expect(now.status).toBe(before?.status);
      expect(now.etag).toBe(before?.etag);
      expect(now.text).toBe(before?.text);
    },
  );

  it("before release, the article's own URLs are unknown (404, not 410) and WebFinger unchanged", async () => {
    expect((await read(`/articles/${embargoed.id}`, HTML_ACCEPT)).status).toBe(404);
    expect((await read(`/articles/${embargoed.id}`, "application/json")).status).toBe(404);
    // No redirect to its ActivityPub id either: that would tell it exists.
    expect((await read(`/articles/${embargoed.id}`, AS_ACCEPT)).status).toBe(404);
    expect((await read(`/ap/feeds/${STORY}/articles/${embargoed.id}`, AS_ACCEPT)).status).toBe(404);
    const finger = await webfinger();
    expect(finger.status).toBe(200);
    expect(finger.text).not.toContain(embargoed.id);
  });

  it("before release, a like or a reply to its id is dropped, not kept for later", async () => {
    await reactToEmbargoed();
    expect(await reactionsStored()).toEqual({ likes: 0, replies: 0 });
  });

  it("a second before release, nothing has changed and nothing was sent", async () => {
    moveClockTo(new Date(release.getTime() - 1_000));
    await quiet();
    const now = await readAll();
    for (const name of DOCUMENTS) {
      expect(now.get(name)?.etag, name).toBe(baseline.get(name)?.etag);
    }
    for (const [name, seen] of now) {
      expect(seen.text, name).not.toContain(EMBARGOED_HEADLINE);
      expect(seen.text, name).not.toContain(EMBARGOED_UPDATE);
      expect(seen.text, name).not.toContain(embargoed.id);
    }
    expect(peer.received.filter(about(embargoed.id))).toEqual([]);
    expect(peer.received.some((r) => JSON.stringify(r.activity).includes(EMBARGOED_UPDATE))).toBe(
      false,
    );
    const pushed = websub.deliveries.map((delivery) => delivery.body.toString("utf8"));
    expect(pushed.length).toBeGreaterThan(0);
    for (const body of pushed) expect(body).not.toContain(EMBARGOED_HEADLINE);
  });

  it("at release, every surface shows the article and its update, and one Create goes out", async () => {
    const pushedBefore = websub.deliveries.length;
    moveClockTo(new Date(release.getTime() + 1_000));
    await peer.waitFor((r) => r.type === "Create" && about(embargoed.id)(r), 15_000);
    // Nobody committed anything at release: the relay's Create is what pings the WebSub hub.
    const pushed = await pushedWith(EMBARGOED_HEADLINE, pushedBefore + 1);
    expect(pushed.body.toString("utf8")).toContain(EMBARGOED_UPDATE);
    await quiet();
    expect(createsOf(embargoed.id)).toHaveLength(1);
    const now = await readAll();
    for (const name of SHOWS_ARTICLE) {
      expect(now.get(name)?.status, name).toBe(200);
      expect(now.get(name)?.text, name).toContain(EMBARGOED_HEADLINE);
    }
    for (const name of SHOWS_UPDATE) {
      expect(now.get(name)?.text, name).toContain(EMBARGOED_UPDATE);
      expect(now.get(name)?.etag, name).not.toBe(baseline.get(name)?.etag);
    }
    const count = (seen: Seen | undefined) => (JSON.parse(seen?.text ?? "{}") as Json).totalItems;
    // The outbox lists the story's Create and its live update's (the thread, federation-thread.test.ts).
    expect(count(now.get("outbox"))).toBe((count(baseline.get("outbox")) as number) + 2);
    const posts = (seen: Seen | undefined) =>
      (JSON.parse(seen?.text ?? "{}") as { usage: { localPosts: number } }).usage.localPosts;
    expect(posts(now.get("NodeInfo"))).toBe(posts(baseline.get("NodeInfo")) + 1);
    expect((await read(`/articles/${embargoed.id}`, HTML_ACCEPT)).status).toBe(200);
    expect((await read(`/articles/${embargoed.id}`, AS_ACCEPT)).status).toBe(303);
    const object = await read(`/ap/feeds/${STORY}/articles/${embargoed.id}`, AS_ACCEPT);
    expect(object.status).toBe(200);
    expect(object.text).toContain(EMBARGOED_HEADLINE);
    // Nothing from before release surfaced; the same reactions now are kept.
    expect(await reactionsStored()).toEqual({ likes: 0, replies: 0 });
    await reactToEmbargoed();
    expect(await reactionsStored()).toEqual({ likes: 1, replies: 1 });
  });

  it.each([
    { moved: "later", scheduledHours: 1, movedToHours: 2 },
    { moved: "earlier", scheduledHours: 2, movedToHours: 1 },
  ])(
    "moved $moved: nothing before the new time, one Create at it, none at the old one",
    async ({ moved, scheduledHours, movedToHours }) => {
      const start = clock.now().getTime();
      const hoursOn = (hours: number, ms = 0) => new Date(start + hours * HOUR + ms);
      const article = await push({
        headline: `Moved ${moved}`,
        bodyHtml: "<p>x</p>",
        feeds: [STORY],
        publishedAt: hoursOn(scheduledHours).toISOString(),
      });
      const patch = await server.admin("PATCH", `/admin/articles/${article.id}`, {
        publishedAt: hoursOn(movedToHours).toISOString(),
        headline: `Moved ${moved}, and retitled`,
      });
      expect(patch.status).toBe(200);
      // A second before the new time (for "later", well past the old one): nothing yet.
      moveClockTo(hoursOn(movedToHours, -1_000));
      await quiet();
      expect(peer.received.filter(about(article.id))).toEqual([]);
      expect((await read(`/articles/${article.id}`, HTML_ACCEPT)).status).toBe(404);
      moveClockTo(hoursOn(movedToHours, 1_000));
      const create = await peer.waitFor((r) => r.type === "Create" && about(article.id)(r), 15_000);
      // The one Create carries the article as revised before release.
      expect(JSON.stringify(create.activity.object)).toContain(`Moved ${moved}, and retitled`);
      moveClockTo(hoursOn(Math.max(scheduledHours, movedToHours), 1_000));
      await quiet();
      expect(peer.received.filter(about(article.id)).map((r) => r.type)).toEqual(["Create"]);
    },
  );

  it("deleted before release: nothing is ever sent, and its URLs stay 404", async () => {
    const at = new Date(clock.now().getTime() + HOUR);
    const article = await push({
      headline: "Never to be",
      bodyHtml: "<p>x</p>",
      feeds: [STORY],
      publishedAt: at.toISOString(),
    });
    expect((await server.admin("DELETE", `/admin/articles/${article.id}`)).status).toBe(204);
    await quiet();
    moveClockTo(new Date(at.getTime() + 1_000));
    await quiet();
    expect(peer.received.filter(about(article.id))).toEqual([]);
    expect((await read(`/articles/${article.id}`, HTML_ACCEPT)).status).toBe(404);
    expect((await read(`/ap/feeds/${STORY}/articles/${article.id}`, AS_ACCEPT)).status).toBe(404);
    const rss = await read(`/feeds/${STORY}.rss`);
    expect(rss.text).not.toContain("Never to be");
  });
});

/** One real embargo, on the real clock with the real relay: the Create follows release in < 5 s. */
describe("a two-second embargo on the system clock", () => {
  let server: FederatedServer;
  let peer: PeerServer;

  beforeAll(async () => {
    server = await startFederatedServer("postgres");
    peer = await startPeerServer({ host: "127.0.0.34", actors: ["reader"] });
    await followStory(server, peer);
  });
  afterAll(async () => {
    await peer?.close();
    await server?.close();
  });

  it("delivers the Create within 5 s of release, and not before", async () => {
    const release = Date.now() + 2_000;
    const response = await server.admin("POST", "/admin/articles", {
      headline: "Released on the second",
      bodyHtml: "<p>x</p>",
      feeds: [STORY],
      publishedAt: new Date(release).toISOString(),
    });
    expect(response.status).toBe(201);
    const { id } = (await response.json()) as ArticleOutput;
    const early = await fetch(`${server.url}/feeds/${STORY}.rss`);
    if (Date.now() < release) expect(await early.text()).not.toContain("Released on the second");
    const create = await peer.waitFor(
      (r) => r.type === "Create" && JSON.stringify(r.activity.object).includes(id),
      15_000,
    );
    expect(create.receivedAt).toBeGreaterThanOrEqual(release);
    expect(create.receivedAt - release).toBeLessThan(5_000);
    console.info(`embargo release -> Create at the peer: ${create.receivedAt - release} ms`);
  });
});
