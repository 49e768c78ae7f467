import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ArticleOutput } from "../../src/schemas/article.schema.ts";
import { parseFeedDefinitions } from "../../src/schemas/feed-definitions.ts";
import { syncFeedDefinitions } from "../../src/storage/feed-sync.ts";
import { DATABASE_KINDS } from "../support/databases.ts";
import { createTestApp, PUBLIC_URL, shippedFeedFiles, type TestApp } from "../support/test-app.ts";

type Json = Record<string, unknown>;
type Problem = Json & { status: number; errors?: { pointer: string; detail: string }[] };

/** Everything stored under a slug, table by table: a refused rename must leave it all alone. */
async function storedUnder(t: TestApp, slug: string) {
  const { rows } = await sql<Record<string, number>>`
    select (select count(*)::int from feeds where slug = ${slug}) as feeds,
           (select count(*)::int from article_feeds where feed_slug = ${slug}) as "articleFeeds",
           (select count(*)::int from followers where feed_slug = ${slug}) as followers,
           (select count(*)::int from federation_outbox where feed_slug = ${slug}) as outbox,
           (select count(*)::int from feed_aliases where slug = ${slug}) as aliases,
           (select count(*)::int from feed_aliases where feed_slug = ${slug}) as "aliasesOf"`.execute(
    t.database.db,
  );
  return rows[0];
}

async function aliases(t: TestApp) {
  const { rows } = await sql<{ slug: string; feedSlug: string }>`
    select slug, feed_slug as "feedSlug" from feed_aliases order by slug`.execute(t.database.db);
  return rows;
}

async function moves(t: TestApp) {
  const { rows } = await sql<{ feedSlug: string; movedFrom: string }>`
    select feed_slug as "feedSlug", moved_from as "movedFrom" from federation_outbox
    where kind = 'move' order by id`.execute(t.database.db);
  return rows;
}

/** Renaming feeds through the admin API, on a real database of each kind. */
describe.each(DATABASE_KINDS)("feed renames on %s", (kind) => {
  let t: TestApp;
  let story: ArticleOutput;

  const json = async <T = Json>(response: Response, status = 200): Promise<T> => {
    expect(response.status).toBe(status);
    return (await response.json()) as T;
  };
  const rename = (from: string, body: unknown) => t.admin("PATCH", `/admin/feeds/${from}`, body);

  beforeAll(async () => {
    t = await createTestApp(kind);
    story = await json<ArticleOutput>(
      await t.admin("POST", "/admin/articles", {
        headline: "Talks in Geneva",
        bodyHtml: "<p>Diplomats meet.</p>",
        feeds: ["us-russia-syria", "world"],
      }),
      201,
    );
    // A follower of the story, as the inbox stores one.
    await sql`insert into followers (feed_slug, actor_id, inbox_url, shared_inbox_url, follow_id, created_at)
              values ('us-russia-syria', 'https://peer.example/users/ann',
                      'https://peer.example/users/ann/inbox', 'https://peer.example/inbox',
                      'https://peer.example/follows/1', now())`.execute(t.database.db);
    // A verified WebSub subscriber of the story's Atom feed, as the hub stores one.
    await sql`insert into websub_subscriptions (feed_slug, format, topic, callback, callback_host,
                secret, lease_seconds, expires_at, verified_at)
              values ('us-russia-syria', 'atom', ${`${PUBLIC_URL}/feeds/us-russia-syria.atom`},
                      'https://reader.example/push', 'reader.example', null, 86400,
                      now() + interval '1 day', now())`.execute(t.database.db);
  });
  afterAll(() => t.destroy());

  it("refuses a taken, reserved, invalid or unknown slug with problem+json naming `/slug`, writing nothing", async () => {
    const before = await storedUnder(t, "us-russia-syria");
    const taken = await json<Problem>(await rename("us-russia-syria", { slug: "world" }), 409);
    expect(taken.errors).toEqual([{ pointer: "/slug", detail: "is taken" }]);
    for (const slug of ["desk", "admin", "Syria Talks", "-syria", ""]) {
      const invalid = await json<Problem>(await rename("us-russia-syria", { slug }), 422);
      expect(invalid.errors?.map((e) => e.pointer)).toEqual(["/slug"]);
    }
    const unknown = await json<Problem>(await rename("no-such-feed", { slug: "syria" }), 404);
    expect(unknown.detail).toContain("no-such-feed");
    expect(await storedUnder(t, "us-russia-syria")).toEqual(before);
    expect(await aliases(t)).toEqual([]);
    expect(await moves(t)).toEqual([]);
  });

  it("documents the slug on PATCH in the OpenAPI description", async () => {
    const doc = await json<{
      components: {
        schemas: { FeedPatch: { properties: Record<string, { description?: string }> } };
      };
    }>(await t.get("/admin/openapi.json"));
    expect(doc.components.schemas.FeedPatch.properties.slug?.description).toContain(
      "renames the feed",
    );
  });

  it("treats the feed's own slug as no rename: nothing written", async () => {
    const before = await storedUnder(t, "us-russia-syria");
    const same = await json<Json>(await rename("us-russia-syria", { slug: "us-russia-syria" }));
    expect(same.slug).toBe("us-russia-syria");
    expect(await storedUnder(t, "us-russia-syria")).toEqual(before);
    expect(await moves(t)).toEqual([]);
  });

  it("moves the feed, its articles and followers to the new slug and commits the Move with it", async () => {
    const before = await storedUnder(t, "us-russia-syria");
    const renamed = await json<Json>(
      await rename("us-russia-syria", { slug: "syria-talks", title: "Syria talks" }),
    );
    expect(renamed).toMatchObject({ slug: "syria-talks", title: "Syria talks" });
    expect(await storedUnder(t, "syria-talks")).toMatchObject({
      feeds: 1,
      articleFeeds: before?.articleFeeds,
      followers: 1,
      aliases: 0,
      aliasesOf: 1,
    });
    expect(await storedUnder(t, "us-russia-syria")).toMatchObject({
      feeds: 0,
      articleFeeds: 0,
      followers: 0,
      outbox: 0,
      aliases: 1,
    });
    expect(await aliases(t)).toEqual([{ slug: "us-russia-syria", feedSlug: "syria-talks" }]);
    expect(await moves(t)).toEqual([{ feedSlug: "syria-talks", movedFrom: "us-russia-syria" }]);
    // WebSub has no foreign key: its subscriber moved too, to the new document's URL.
    const { rows: subscriptions } = await sql<{ feedSlug: string; topic: string }>`
      select feed_slug as "feedSlug", topic from websub_subscriptions`.execute(t.database.db);
    expect(subscriptions).toEqual([
      { feedSlug: "syria-talks", topic: `${PUBLIC_URL}/feeds/syria-talks.atom` },
    ]);
    const article = await json<ArticleOutput>(await t.admin("GET", `/admin/articles/${story.id}`));
    expect(article.feeds).toEqual(["syria-talks", "world"]);
    expect((await t.admin("GET", "/admin/feeds/us-russia-syria")).status).toBe(404);
  });

  it("answers the old slug's feed documents, page and archive with 301 to the new ones", async () => {
    for (const [old, now] of [
      ["/feeds/us-russia-syria.rss", "/feeds/syria-talks.rss"],
      ["/feeds/us-russia-syria.atom", "/feeds/syria-talks.atom"],
      ["/feeds/us-russia-syria.json", "/feeds/syria-talks.json"],
      ["/feeds/us-russia-syria/archive/1.atom", "/feeds/syria-talks/archive/1.atom"],
      ["/us-russia-syria", "/syria-talks"],
      ["/us-russia-syria?before=abc", "/syria-talks?before=abc"],
      [
        "/us-russia-syria/follow?instance=mastodon.social",
        "/syria-talks/follow?instance=mastodon.social",
      ],
    ] as const) {
      const response = await t.get(old);
      expect(response.status, old).toBe(301);
      expect(response.headers.get("location"), old).toBe(`${PUBLIC_URL}${now}`);
    }
    const feed = await json<Json & { items: { title: string }[]; feed_url: string }>(
      await t.get("/feeds/syria-talks.json"),
    );
    expect(feed.feed_url).toBe(`${PUBLIC_URL}/feeds/syria-talks.json`);
    expect(feed.items.map((item) => item.title)).toEqual(["Talks in Geneva"]);
    expect((await t.get("/syria-talks")).status).toBe(200);
    // A slug that never was a feed is still not found.
    expect((await t.get("/feeds/never-was.rss")).status).toBe(404);
  });

  it("keeps the old slug for the feed: no other feed may take it, by rename or creation", async () => {
    const created = await json<Problem>(
      await t.admin("POST", "/admin/feeds", { slug: "us-russia-syria", title: "Another" }),
      409,
    );
    expect(created.errors?.[0]?.pointer).toBe("/slug");
    const taken = await json<Problem>(await rename("world", { slug: "us-russia-syria" }), 409);
    expect(taken.errors).toEqual([
      { pointer: "/slug", detail: 'is an old slug of feed "syria-talks"' },
    ]);
    expect(await storedUnder(t, "world")).toMatchObject({ feeds: 1, aliases: 0 });
  });

  it("follows chains: a -> b -> c leaves a and b both redirecting to c", async () => {
    await json(await rename("syria-talks", { slug: "syria-peace" }));
    expect(await aliases(t)).toEqual([
      { slug: "syria-talks", feedSlug: "syria-peace" },
      { slug: "us-russia-syria", feedSlug: "syria-peace" },
    ]);
    for (const old of ["us-russia-syria", "syria-talks"]) {
      const response = await t.get(`/feeds/${old}.rss`);
      expect(response.status).toBe(301);
      expect(response.headers.get("location")).toBe(`${PUBLIC_URL}/feeds/syria-peace.rss`);
    }
    expect((await moves(t)).at(-1)).toEqual({ feedSlug: "syria-peace", movedFrom: "syria-talks" });
  });

  it("renames back to an old slug of its own (a -> b -> a)", async () => {
    const back = await json<Json>(await rename("syria-peace", { slug: "us-russia-syria" }));
    expect(back.slug).toBe("us-russia-syria");
    expect(await aliases(t)).toEqual([
      { slug: "syria-peace", feedSlug: "us-russia-syria" },
      { slug: "syria-talks", feedSlug: "us-russia-syria" },
    ]);
    expect(await storedUnder(t, "us-russia-syria")).toMatchObject({
      feeds: 1,
      followers: 1,
      aliases: 0,
    });
    const page = await t.get("/us-russia-syria");
    expect(page.status).toBe(200);
    const old = await t.get("/feeds/syria-peace.atom");
    expect(old.headers.get("location")).toBe(`${PUBLIC_URL}/feeds/us-russia-syria.atom`);
  });

  it("does not bring a renamed feed back under its old slug when an unchanged file is synced", async () => {
    await json(await rename("us-russia-syria", { slug: "syria" }));
    const skipped: [string, string][] = [];
    const changed = await syncFeedDefinitions(
      t.database.db,
      parseFeedDefinitions(await shippedFeedFiles()),
      new Date(),
      (slug, feedSlug) => skipped.push([slug, feedSlug]),
    );
    expect(changed).toEqual([]);
    expect(skipped).toEqual([["us-russia-syria", "syria"]]);
    expect(await storedUnder(t, "us-russia-syria")).toMatchObject({ feeds: 0, aliases: 1 });
  });
});
