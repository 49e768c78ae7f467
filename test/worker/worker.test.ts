import { createHmac } from "node:crypto";
import { sql } from "kysely";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import type { ArticleOutput } from "../../src/schemas/article.schema.ts";
import {
  fetchActor,
  follow,
  type PeerServer,
  postSigned,
  startPeerServer,
  webfinger,
} from "../support/fediverse-peer.ts";
import { CONTENT_TYPES, type Format, titles } from "../support/feed-items.ts";
import { fixtureStoryPush } from "../support/fixture-push.ts";
import { ADMIN_TOKEN } from "../support/test-app.ts";
import { startSubscriber } from "../support/websub-subscriber.ts";
import { createWorkerDatabase, type WorkerDatabase } from "./support/worker-database.ts";
import { startWorker, type WorkerProcess } from "./support/wrangler-dev.ts";

type Json = Record<string, unknown>;

const FIXTURE_HEADLINE = "US and Russia plan 'concrete steps' for Syria";

/**
 * The Node e2e scenarios against the Worker (src/entries/cloudflare/worker.ts) under local workerd: wrangler dev
 * with Hyperdrive pointed at the test PostgreSQL, Fedify's queue on wrangler's local Cloudflare
 * Queues, feeds in its local Cache API. The fediverse peer is the independent node:crypto one.
 */
describe("Tidings on Cloudflare Workers (wrangler dev)", () => {
  let database: WorkerDatabase;
  let worker: WorkerProcess;
  let peer: PeerServer;
  let actorId: string;
  let articleId: string;
  /** The article whose Create the follower received. */
  let createdId: string;
  let failCreates = false;

  beforeAll(async () => {
    database = await createWorkerDatabase();
    peer = await startPeerServer({
      host: "127.0.0.1",
      actors: ["alice"],
      // While set: refuse Creates with 500, as a server having a bad minute would, twice:
      // Fedify knocks again at once with the other signature spec before giving up.
      intercept: (delivery) =>
        failCreates && delivery.activity.type === "Create" && delivery.attempt <= 2
          ? 500
          : undefined,
    });
    worker = await startWorker({
      databaseUrl: database.url,
      // Explicit, so a developer's .env or .dev.vars (which wrangler dev reads) cannot interfere.
      vars: { ADMIN_TOKEN, FEDERATION_ALLOW_PRIVATE_ADDRESS: "true", LOG_LEVEL: "info" },
    });
  });
  beforeEach(({ onTestFailed }) => {
    // What the Worker logged is the only view into workerd: show its tail with the failure.
    onTestFailed(() => {
      console.error(
        `wrangler dev output (tail):\n${worker?.output().split("\n").slice(-80).join("\n")}`,
      );
    });
  });
  afterAll(async () => {
    await peer?.close();
    await worker?.close();
    await database?.destroy();
  });

  const admin = (method: string, path: string, body?: unknown) =>
    fetch(`${worker.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${ADMIN_TOKEN}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  const read = async (slug: string, format: Format, headers: Record<string, string> = {}) => {
    const response = await fetch(`${worker.url}/feeds/${slug}.${format}`, { headers });
    return { response, body: await response.text() };
  };

  it("pushes a story through the admin API and serves it in all three formats", async () => {
    const push = await admin("POST", "/admin/articles", fixtureStoryPush());
    expect(push.status).toBe(201);
    articleId = ((await push.json()) as ArticleOutput).id;
    for (const slug of ["world", "us-russia-syria"]) {
      for (const format of ["rss", "atom", "json"] as const) {
        const { response, body } = await read(slug, format);
        expect(response.status).toBe(200);
        expect(response.headers.get("content-type")).toBe(CONTENT_TYPES[format]);
        expect(titles(format, body)).toEqual([FIXTURE_HEADLINE]);
      }
    }
    const again = await admin("POST", "/admin/articles", fixtureStoryPush());
    expect(again.status).toBe(200);
    expect(((await again.json()) as ArticleOutput).id).toBe(articleId);
  });

  it("answers conditional requests with 304, and HEAD without a body", async () => {
    const first = await read("world", "atom");
    const etag = first.response.headers.get("etag") ?? "";
    const lastModified = first.response.headers.get("last-modified") ?? "";
    expect(etag).toMatch(/^"[\w-]+"$/);
    expect(first.response.headers.get("cache-control")).toMatch(/max-age=\d+/);

    const byEtag = await read("world", "atom", { "if-none-match": etag });
    expect(byEtag.response.status).toBe(304);
    expect(byEtag.body).toBe("");
    expect(byEtag.response.headers.get("etag")).toBe(etag);
    const byDate = await read("world", "atom", { "if-modified-since": lastModified });
    expect(byDate.response.status).toBe(304);
    const stale = await read("world", "atom", { "if-none-match": '"something-else"' });
    expect(stale.response.status).toBe(200);
    expect(titles("atom", stale.body)).toEqual([FIXTURE_HEADLINE]);

    // A browser gets the same document as application/xml, which it styles, plus the XHTML
    // script fallback only browsers are served (feed readers get none).
    const browser = await read("world", "atom", { accept: "text/html" });
    expect(browser.response.headers.get("content-type")).toBe("application/xml; charset=utf-8");
    expect(stale.body).not.toContain("<script");
    expect(browser.body).toContain('src="/assets/feed-preview.js"');
    const withoutScript = browser.body.replace(
      /\n\s*<script xmlns="[^"]*xhtml"[^>]*><\/script>/,
      "",
    );
    expect(withoutScript).toBe(stale.body);

    const head = await fetch(`${worker.url}/feeds/world.atom`, { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(head.headers.get("etag")).toBe(etag);
    expect(await head.text()).toBe("");
    expect((await read("no-such-feed", "rss")).response.status).toBe(404);
  });

  it("serves the feeds' archive pages (RFC 5005), linked from the feeds, fresh after a change", async () => {
    const feed = (await read("world", "json")).body;
    const newest = (JSON.parse(feed) as { next_url?: string }).next_url;
    expect(newest).toBe(`${worker.url}/feeds/world/archive/1.json`);
    for (const format of ["rss", "atom", "json"] as const) {
      const response = await fetch(`${worker.url}/feeds/world/archive/1.${format}`);
      expect(response.status).toBe(200);
      const body = await response.text();
      expect(titles(format, body)).toEqual([FIXTURE_HEADLINE]);
      // The only page is still filling: the feeds' caching, not a year's.
      expect(response.headers.get("cache-control")).not.toContain("immutable");
      const etag = response.headers.get("etag") ?? "";
      const again = await fetch(`${worker.url}/feeds/world/archive/1.${format}`, {
        headers: { "if-none-match": etag },
      });
      expect(again.status).toBe(304);
    }
    expect((await fetch(`${worker.url}/feeds/world/archive/2.rss`)).status).toBe(404);
  });

  it("serves feeds from the Cache API and purges them when an article changes", async () => {
    expect(titles("rss", (await read("world", "rss")).body)).toEqual([FIXTURE_HEADLINE]);
    // Behind the Worker's back: the cached copy, not PostgreSQL, answers the next read.
    await sql`update articles set headline = 'Changed behind the cache' where id = ${articleId}`.execute(
      database.db,
    );
    expect(titles("rss", (await read("world", "rss")).body)).toEqual([FIXTURE_HEADLINE]);
    // A change through the admin API purges every format of every feed the article is in.
    const patch = await admin("PATCH", `/admin/articles/${articleId}`, {
      headline: "Kerry and Lavrov agree concrete steps on Syria",
    });
    expect(patch.status).toBe(200);
    for (const slug of ["world", "us-russia-syria"]) {
      for (const format of ["rss", "atom", "json"] as const) {
        expect(titles(format, (await read(slug, format)).body)).toEqual([
          "Kerry and Lavrov agree concrete steps on Syria",
        ]);
      }
    }
  });

  it("finds the feed by WebFinger and reads its actor", async () => {
    actorId = await webfinger(worker.url, `acct:world@${worker.host}`);
    expect(actorId).toBe(`${worker.url}/ap/feeds/world`);
    const actor = (await fetchActor(actorId)) as Json & {
      publicKey: { owner: string; publicKeyPem: string };
      endpoints: { sharedInbox: string };
    };
    expect(actor.type).toBe("Organization");
    expect(actor.preferredUsername).toBe("world");
    expect(actor.inbox).toBe(`${actorId}/inbox`);
    expect(actor.endpoints.sharedInbox).toBe(`${worker.url}/ap/inbox`);
    expect(actor.publicKey.owner).toBe(actorId);
    expect(actor.publicKey.publicKeyPem).toMatch(/^-----BEGIN PUBLIC KEY-----/);
  });

  it("answers a signed Follow with an Accept delivered through the Queue consumer", async () => {
    const alice = peer.actor("alice");
    const request = follow(alice, actorId);
    const response = await postSigned(`${actorId}/inbox`, request, { actor: alice });
    expect(response.status, await response.clone().text()).toBe(202);
    const accept = await peer.waitFor((r) => r.type === "Accept", 30_000);
    expect(accept.actor).toBe(actorId);
    expect(accept.keyId.startsWith(actorId)).toBe(true);
    const object = accept.activity.object as Json | string;
    expect(typeof object === "string" ? object : object.id).toBe(request.id);
    const followers = await sql<{ actorId: string }>`
      select actor_id from followers where feed_slug = 'world'`.execute(database.db);
    expect(followers.rows.map((row) => row.actorId)).toEqual([alice.id]);
    // Fedify's inbox work and the Accept both went through the local Cloudflare Queue.
    expect(worker.output()).toMatch(/QUEUE tidings-deliveries \d+\/\d+/);
  });

  it("delivers Create for a pushed article, retried by Queues after the inbox failed", async () => {
    failCreates = true;
    const push = await admin("POST", "/admin/articles", {
      headline: "Geneva talks resume",
      standfirst: "Diplomats return to the table.",
      bodyHtml: "<p>Talks resumed on Monday.</p>",
      feeds: ["world"],
    });
    expect(push.status).toBe(201);
    const id = ((await push.json()) as ArticleOutput).id;
    createdId = id;
    const create = await peer.waitFor((r) => r.type === "Create", 30_000);
    expect(create.actor).toBe(actorId);
    expect(create.inbox).toBe(`${peer.origin}/inbox`); // shared inbox
    const note = create.activity.object as Json;
    expect(note.id).toBe(`${worker.url}/ap/feeds/world/articles/${id}`);
    expect(note.type).toBe("Note");
    expect(note.content).toContain("Geneva talks resume");
    failCreates = false;
    expect(peer.rejected.filter((r) => r.status === 500)).toHaveLength(2);
    expect(worker.output()).toContain("queued task failed; Cloudflare Queues will retry it");
    // The delivery record, written at the end of each queue batch: one failed attempt (the two
    // 500s were Fedify's knock with each signature spec), then delivered on the retry.
    let record = { delivered: 0, servers: 0, items: [] as { state: string; attempts: number }[] };
    for (let deadline = Date.now() + 15_000; Date.now() < deadline && record.delivered < 1; ) {
      record = await (await admin("GET", `/admin/articles/${id}/deliveries`)).json();
      if (record.delivered < 1) await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(record).toMatchObject({ delivered: 1, servers: 1 });
    expect(record.items[0]).toMatchObject({ state: "delivered", attempts: 2 });
  });

  it("delivers Update for a PATCH and Delete with a Tombstone, then the object answers 410", async () => {
    const objectId = `${worker.url}/ap/feeds/world/articles/${createdId}`;
    const patch = await admin("PATCH", `/admin/articles/${createdId}`, {
      headline: "Geneva talks resume after a pause",
    });
    expect(patch.status).toBe(200);
    const update = await peer.waitFor((r) => r.type === "Update", 30_000);
    expect((update.activity.object as Json).id).toBe(objectId);
    expect((update.activity.object as Json).content).toContain("after a pause");

    const removal = await admin("DELETE", `/admin/articles/${createdId}`);
    expect(removal.status).toBe(204);
    const del = await peer.waitFor((r) => r.type === "Delete", 30_000);
    const tombstone = del.activity.object as Json;
    expect(tombstone.type).toBe("Tombstone");
    expect(tombstone.id).toBe(objectId);
    const gone = await fetch(objectId, { headers: { accept: "application/activity+json" } });
    expect(gone.status).toBe(410);
  });

  it("runs housekeeping from the Cron Trigger: scheduled articles once due, expired KV rows", async () => {
    await sql`
      insert into fedify_kv (key, value, expires_at) values
        ('["test","expired"', '1'::jsonb, now() - interval '1 minute'),
        ('["test","live"', '2'::jsonb, now() + interval '1 hour')`.execute(database.db);
    const publishedAt = new Date(Date.now() + 60 * 60_000);
    const push = await admin("POST", "/admin/articles", {
      headline: "Scheduled: ceasefire holds",
      bodyHtml: "<p>Later.</p>",
      feeds: ["world"],
      publishedAt: publishedAt.toISOString(),
    });
    expect(push.status).toBe(201);
    const article = (await push.json()) as ArticleOutput;
    expect(article.status).toBe("scheduled");
    // Its time comes: the schedule moves an hour back (the article, its feed row and its outbox
    // entry), instead of the test waiting for the clock.
    await sql`update articles set published_at = published_at - interval '1 hour' where id = ${article.id}`.execute(
      database.db,
    );
    await sql`update article_feeds set published_at = published_at - interval '1 hour' where article_id = ${article.id}`.execute(
      database.db,
    );
    const moved =
      await sql`update federation_outbox set available_at = available_at - interval '1 hour' where article_id = ${article.id}`.execute(
        database.db,
      );
    expect(Number(moved.numAffectedRows)).toBeGreaterThan(0);
    const before = peer.received.filter((r) => r.type === "Create").length;
    expect(before).toBe(1); // only the earlier article's: nothing relays a scheduled one early
    const cron = await worker.runCron();
    expect(cron.status).toBe(200);
    const create = await peer.waitFor(
      (r) =>
        r.type === "Create" &&
        (r.activity.object as Json).id === `${worker.url}/ap/feeds/world/articles/${article.id}`,
      30_000,
    );
    expect(create.actor).toBe(actorId);
    const pending = await sql<{ n: number }>`
      select count(*)::int as n from federation_outbox where processed_at is null`.execute(
      database.db,
    );
    expect(pending.rows[0]?.n).toBe(0);
    const kv = await sql<{ key: string }>`
      select key from fedify_kv where key like '["test",%' order by key`.execute(database.db);
    expect(kv.rows.map((row) => row.key)).toEqual(['["test","live"']);
  });

  it("runs the WebSub hub: verifies intent, pushes a signed fat ping per change, 410 ends it", async () => {
    const subscriber = await startSubscriber();
    try {
      const topic = `${worker.url}/feeds/world.rss`;
      const callback = `${subscriber.url}/cb`;
      const request = await fetch(`${worker.url}/websub`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({
          "hub.mode": "subscribe",
          "hub.topic": topic,
          "hub.callback": callback,
          "hub.secret": "worker-s3cret",
        }).toString(),
      });
      expect(request.status).toBe(202);
      // Verified after the 202, in the same invocation's waitUntil.
      const verification = await subscriber.verification(1);
      expect(verification.params.get("hub.mode")).toBe("subscribe");
      expect(verification.params.get("hub.topic")).toBe(topic);
      const stored = async () =>
        (
          await sql<{ n: number }>`
            select count(*)::int as n from websub_subscriptions where callback = ${callback}`.execute(
            database.db,
          )
        ).rows[0]?.n;
      await vi.waitFor(async () => expect(await stored()).toBe(1), {
        timeout: 15_000,
        interval: 50,
      });

      const push = await admin("POST", "/admin/articles", {
        headline: "Pushed to WebSub readers from the Worker",
        bodyHtml: "<p>At once.</p>",
        feeds: ["world"],
      });
      expect(push.status).toBe(201);
      const { id } = (await push.json()) as ArticleOutput;
      const delivery = await subscriber.delivery(1);
      expect(delivery.headers["content-type"]).toBe(CONTENT_TYPES.rss);
      expect(delivery.headers.link).toBe(
        `<${worker.url}/websub>; rel="hub", <${topic}>; rel="self"`,
      );
      const signature = createHmac("sha256", "worker-s3cret").update(delivery.body).digest("hex");
      expect(delivery.headers["x-hub-signature"]).toBe(`sha256=${signature}`);
      expect(delivery.body.toString("utf8")).toContain("Pushed to WebSub readers from the Worker");

      // The subscriber has gone away for good: its 410 ends the subscription.
      subscriber.deliveryAnswers.push(410);
      const update = await admin("PATCH", `/admin/articles/${id}`, {
        headline: "Pushed again, to nobody",
      });
      expect(update.status).toBe(200);
      const last = await subscriber.delivery(2);
      expect(last.body.toString("utf8")).toContain("Pushed again, to nobody");
      await vi.waitFor(async () => expect(await stored()).toBe(0), {
        timeout: 15_000,
        interval: 50,
      });
      // The last job's acknowledgement commits just after its POST was answered: wait for it.
      const queued = async () =>
        (
          await sql<{ n: number }>`
            select count(*)::int as n from fedify_messages where queue = 'websub'`.execute(
            database.db,
          )
        ).rows[0]?.n;
      await vi.waitFor(async () => expect(await queued()).toBe(0), {
        timeout: 5_000,
        interval: 50,
      });
    } finally {
      await subscriber.close();
    }
  });

  it("logged no errors but the harmless closed-socket rejection", () => {
    const output = worker.output();
    // The Worker's own structured logs are in there (so an error would be too).
    expect(output).toContain("message: 'new follower'");
    // pg may reject a read on a socket it has just closed after the invocation ended.
    const errors = output
      .split("\n")
      .filter((line) => /\bERROR\b|Uncaught|✘/.test(line))
      .filter((line) => !/This socket has been closed/.test(line));
    expect(errors).toEqual([]);
  });
});
