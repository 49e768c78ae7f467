import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DATABASE_KINDS } from "../support/databases.ts";
import { createTestApp, type TestApp } from "../support/test-app.ts";

interface FollowerPage {
  items: { actorId: string; inboxUrl: string; sharedInboxUrl: string | null; createdAt: string }[];
  total: number;
  nextCursor: string | null;
}

describe.each(DATABASE_KINDS)("GET /admin/feeds/SLUG/followers on %s", (kind) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(kind);
    const follower = (n: number, feedSlug = "world") => ({
      feedSlug,
      actorId: `https://social.example/users/reader${n}`,
      inboxUrl: `https://social.example/users/reader${n}/inbox`,
      sharedInboxUrl: n === 3 ? null : "https://social.example/inbox",
      followId: `https://social.example/follows/${n}`,
      createdAt: new Date(Date.UTC(2024, 0, n)),
    });
    await t.database.db
      .insertInto("followers")
      .values([follower(1), follower(2), follower(3), follower(4, "us-russia-syria")])
      .execute();
  });
  afterAll(() => t.destroy());

  const list = async (query = "", slug = "world") => {
    const response = await t.admin("GET", `/admin/feeds/${slug}/followers${query}`);
    return { response, body: (await response.json()) as FollowerPage };
  };

  it("lists a feed's followers newest first, with inboxes and when they followed", async () => {
    const { response, body } = await list();
    expect(response.status).toBe(200);
    expect(body.total).toBe(3);
    expect(body.nextCursor).toBeNull();
    expect(body.items).toEqual([
      {
        actorId: "https://social.example/users/reader3",
        inboxUrl: "https://social.example/users/reader3/inbox",
        sharedInboxUrl: null,
        createdAt: "2024-01-03T00:00:00.000Z",
      },
      {
        actorId: "https://social.example/users/reader2",
        inboxUrl: "https://social.example/users/reader2/inbox",
        sharedInboxUrl: "https://social.example/inbox",
        createdAt: "2024-01-02T00:00:00.000Z",
      },
      {
        actorId: "https://social.example/users/reader1",
        inboxUrl: "https://social.example/users/reader1/inbox",
        sharedInboxUrl: "https://social.example/inbox",
        createdAt: "2024-01-01T00:00:00.000Z",
      },
    ]);
  });

  it("pages with limit and nextCursor, each follower once", async () => {
    const first = await list("?limit=2");
    expect(first.body.items.map((f) => f.actorId.slice(-7))).toEqual(["reader3", "reader2"]);
    expect(first.body.total).toBe(3);
    expect(first.body.nextCursor).toEqual(expect.any(String));
    const second = await list(`?limit=2&cursor=${first.body.nextCursor}`);
    expect(second.body.items.map((f) => f.actorId.slice(-7))).toEqual(["reader1"]);
    expect(second.body.nextCursor).toBeNull();
  });

  it("answers an empty list for a feed nobody follows", async () => {
    await t.admin("POST", "/admin/feeds", { slug: "quiet", title: "Quiet" });
    const { response, body } = await list("", "quiet");
    expect(response.status).toBe(200);
    expect(body).toEqual({ items: [], total: 0, nextCursor: null });
  });

  it("answers 404 for an unknown feed and 422 for a bad query", async () => {
    const unknown = await t.admin("GET", "/admin/feeds/nope/followers");
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get("content-type")).toBe("application/problem+json");
    expect(await unknown.json()).toMatchObject({ detail: 'No feed named "nope"' });

    const badCursor = await t.admin("GET", "/admin/feeds/world/followers?cursor=bm9wZQ");
    expect(badCursor.status).toBe(422);
    expect(await badCursor.json()).toMatchObject({ errors: [{ pointer: "/query/cursor" }] });
    const badLimit = await t.admin("GET", "/admin/feeds/world/followers?limit=0");
    expect(badLimit.status).toBe(422);
    expect(await badLimit.json()).toMatchObject({ errors: [{ pointer: "/query/limit" }] });
  });

  it("is behind the admin token", async () => {
    const response = await t.get("/admin/feeds/world/followers");
    expect(response.status).toBe(401);
  });
});
