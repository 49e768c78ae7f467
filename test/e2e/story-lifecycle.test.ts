import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ArticleOutput } from "../../src/schemas/article.schema.ts";
import { runCli } from "../support/cli-process.ts";
import { DATABASE_KINDS } from "../support/databases.ts";
import { type FederatedServer, startFederatedServer } from "../support/federated-server.ts";
import {
  fetchActor,
  follow,
  type PeerServer,
  postSigned,
  startPeerServer,
} from "../support/fediverse-peer.ts";
import { ADMIN_TOKEN, createTestApp, fixedClock, type TestApp } from "../support/test-app.ts";

type Json = Record<string, unknown>;
type FeedOutput = Json & { status: string; closedAt: string | null; updatedAt: string };

const STORY = "us-russia-syria";
const CLOSED_AT = new Date("2026-12-07T10:15:00.000Z");

/** What the outbox holds for the story's profile, and every feed row: a no-op must touch neither. */
async function profileWrites(t: TestApp) {
  const { rows } = await sql<{ updateActors: number; feedUpdatedAt: Date }>`
    select (select count(*)::int from federation_outbox
              where kind = 'update-actor' and feed_slug = ${STORY}) as "updateActors",
           (select updated_at from feeds where slug = ${STORY}) as "feedUpdatedAt"`.execute(
    t.database.db,
  );
  return rows[0];
}

/** Closing and reopening a story feed through the admin API, on a real database of each kind. */
describe.each(DATABASE_KINDS)("story lifecycle on %s", (kind) => {
  let t: TestApp;
  const clock = fixedClock(new Date("2026-12-07T09:00:00.000Z"));
  let liveArticle: ArticleOutput;
  let sectionArticle: ArticleOutput;

  const json = async <T = Json>(response: Response, status = 200): Promise<T> => {
    expect(response.status).toBe(status);
    return (await response.json()) as T;
  };
  const article = async (id: string) =>
    json<ArticleOutput>(await t.admin("GET", `/admin/articles/${id}`));

  beforeAll(async () => {
    t = await createTestApp(kind, { clock });
    liveArticle = await json<ArticleOutput>(
      await t.admin("POST", "/admin/articles", {
        headline: "Talks in Geneva",
        bodyHtml: "<p>Diplomats meet.</p>",
        feeds: [STORY, "world"],
      }),
      201,
    );
    await json(
      await t.admin("POST", `/admin/articles/${liveArticle.id}/updates`, {
        bodyHtml: "<p>Delegations arrive.</p>",
      }),
      201,
    );
    sectionArticle = await json<ArticleOutput>(
      await t.admin("POST", "/admin/articles", {
        headline: "Markets steady",
        bodyHtml: "<p>Prices.</p>",
        feeds: ["world"],
      }),
      201,
    );
    await json(
      await t.admin("POST", `/admin/articles/${sectionArticle.id}/updates`, {
        bodyHtml: "<p>Opening bell.</p>",
      }),
      201,
    );
  });
  afterAll(() => t.destroy());

  it("rejects a bad status with 422 problem+json naming `status`, and writes nothing", async () => {
    const before = await profileWrites(t);
    const response = await t.admin("PATCH", `/admin/feeds/${STORY}`, { status: "ended" });
    expect(response.status).toBe(422);
    expect(response.headers.get("content-type")).toBe("application/problem+json");
    const problem = (await response.json()) as { errors: { pointer: string }[] };
    expect(problem.errors.map((error) => error.pointer)).toEqual(["/status"]);
    expect(await profileWrites(t)).toEqual(before);
    expect((await json<FeedOutput>(await t.admin("GET", `/admin/feeds/${STORY}`))).status).toBe(
      "open",
    );
    expect((await article(liveArticle.id)).live).toBe(true);
  });

  it("closes the story: its live articles end, its profile and page say when", async () => {
    const before = await profileWrites(t);
    clock.set(CLOSED_AT);
    const feed = await json<FeedOutput>(
      await t.admin("PATCH", `/admin/feeds/${STORY}`, { status: "closed" }),
    );
    expect(feed.status).toBe("closed");
    expect(feed.closedAt).toBe(CLOSED_AT.toISOString());

    const ended = await article(liveArticle.id);
    expect(ended.live).toBe(false);
    expect(ended.liveEndedAt).toBe(CLOSED_AT.toISOString());
    // A live story in another feed only is not this story's to end.
    const other = await article(sectionArticle.id);
    expect(other.live).toBe(true);
    expect(other.liveEndedAt).toBeNull();

    expect((await profileWrites(t))?.updateActors).toBe((before?.updateActors ?? 0) + 1);

    const page = await t.get(`/${STORY}`, { accept: "text/html" });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("This story ended on 7 December 2026.");
    for (const format of ["rss", "atom", "json"]) {
      const document = await t.get(`/feeds/${STORY}.${format}`);
      expect(document.status).toBe(200);
      expect(await document.text()).toContain("Talks in Geneva");
    }
    const articlePage = await t.get(`/articles/${liveArticle.id}`, { accept: "text/html" });
    expect(articlePage.status).toBe(200);
  });

  it("closes idempotently: closing again changes and sends nothing", async () => {
    const before = await profileWrites(t);
    clock.advance(60_000);
    const again = await json<FeedOutput>(
      await t.admin("PATCH", `/admin/feeds/${STORY}`, { status: "closed" }),
    );
    expect(again.closedAt).toBe(CLOSED_AT.toISOString());
    expect(await profileWrites(t)).toEqual(before);
    expect((await article(liveArticle.id)).liveEndedAt).toBe(CLOSED_AT.toISOString());
  });

  it("still takes a follow-up and a late update, without reopening or going live", async () => {
    const followUp = await json<ArticleOutput>(
      await t.admin("POST", "/admin/articles", {
        headline: "Correction: talks were in Lausanne",
        bodyHtml: "<p>We said Geneva.</p>",
        feeds: [STORY],
      }),
      201,
    );
    expect(followUp.live).toBe(false);
    await json(
      await t.admin("POST", `/admin/articles/${liveArticle.id}/updates`, {
        bodyHtml: "<p>A last note.</p>",
      }),
      201,
    );
    const late = await article(liveArticle.id);
    expect(late.live).toBe(false);
    expect(late.liveEndedAt).toBe(CLOSED_AT.toISOString());
    const feed = await json<FeedOutput>(await t.admin("GET", `/admin/feeds/${STORY}`));
    expect(feed.status).toBe("closed");
    const rss = await (await t.get(`/feeds/${STORY}.rss`)).text();
    expect(rss).toContain("Correction: talks were in Lausanne");
  });

  it("reopens: the notice goes, the profile is sent again, updates make it live again", async () => {
    const before = await profileWrites(t);
    clock.advance(60_000);
    const feed = await json<FeedOutput>(
      await t.admin("PATCH", `/admin/feeds/${STORY}`, { status: "open" }),
    );
    expect(feed.status).toBe("open");
    expect(feed.closedAt).toBeNull();
    expect((await profileWrites(t))?.updateActors).toBe((before?.updateActors ?? 0) + 1);
    const page = await (await t.get(`/${STORY}`, { accept: "text/html" })).text();
    expect(page).not.toContain("This story ended");

    await json(
      await t.admin("POST", `/admin/articles/${liveArticle.id}/updates`, {
        bodyHtml: "<p>Talks resume.</p>",
      }),
      201,
    );
    const resumed = await article(liveArticle.id);
    expect(resumed.live).toBe(true);
    expect(resumed.liveEndedAt).toBeNull();
  });

  it("records when coverage ended when an editor sets live to false", async () => {
    clock.advance(60_000);
    const ended = await json<ArticleOutput>(
      await t.admin("PATCH", `/admin/articles/${liveArticle.id}`, { live: false }),
    );
    expect(ended.live).toBe(false);
    expect(ended.liveEndedAt).toBe(clock.now().toISOString());
  });
});

/** Closing over signed HTTP and from the command line: followers get the ended profile. */
describe("story lifecycle on the fediverse and the command line", () => {
  let server: FederatedServer;
  let peer: PeerServer;
  const actorId = () => `${server.url}/ap/feeds/${STORY}`;
  const tidings = (args: string[]) =>
    runCli(args, { TIDINGS_URL: server.url, ADMIN_TOKEN: ADMIN_TOKEN });

  beforeAll(async () => {
    server = await startFederatedServer("postgres");
    peer = await startPeerServer({ host: "127.0.0.31", actors: ["reader"] });
    const reader = peer.actor("reader");
    const response = await postSigned(`${actorId()}/inbox`, follow(reader, actorId()), {
      actor: reader,
    });
    expect(response.status).toBe(202);
    await peer.waitFor((r) => r.type === "Accept", 15_000);
  });
  afterAll(async () => {
    await peer?.close();
    await server?.close();
  });

  const profileUpdates = () =>
    peer.received.filter(
      (r) => r.type === "Update" && (r.activity.object as Json).type === "Organization",
    );

  it("`tidings feed close` sends followers Update(actor) saying the story ended", async () => {
    const run = await tidings(["feed", "close", STORY]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`^closed feed ${STORY}: the story ended on \\S+Z$`, "m"));
    const update = await peer.waitFor(
      (r) => r.type === "Update" && (r.activity.object as Json).type === "Organization",
      15_000,
    );
    expect((update.activity.object as Json).summary).toMatch(/This story ended on \d+ \w+ \d{4}\./);
    const served = await fetchActor(actorId());
    expect(served.summary).toMatch(/This story ended on/);
  });

  it("closing again sends nothing more; `tidings feed reopen` sends the open profile", async () => {
    expect((await tidings(["feed", "close", STORY])).code).toBe(0);
    await server.settle();
    expect(profileUpdates()).toHaveLength(1);
    const run = await tidings(["feed", "reopen", STORY]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`reopened feed ${STORY}`);
    await peer.waitForCount(
      (r) => r.type === "Update" && (r.activity.object as Json).type === "Organization",
      2,
      15_000,
    );
    const reopened = profileUpdates()[1]?.activity.object as Json;
    expect(reopened.summary).not.toMatch(/ended/);
  });
});
