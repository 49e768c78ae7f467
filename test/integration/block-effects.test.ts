import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createModerationStore } from "../../src/storage/moderation-store.ts";
import { insertBareArticle } from "../support/bare-article.ts";
import { createTestDatabase, DATABASE_KINDS, type TestDatabase } from "../support/databases.ts";

const ARTICLE = "0191c8a2-7a3e-7cc1-9d3e-000000000001";

/** What a suspension removes, by URL on the blocked domain and its subdomains only. */
describe.each(DATABASE_KINDS)("a domain suspension's effects (%s)", (kind) => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase(kind);
    const { db } = database;
    const at = new Date();
    await db
      .insertInto("feeds")
      .values({
        slug: "world",
        kind: "section",
        title: "World",
        description: "",
        language: "en",
        status: "open",
        iconUrl: null,
        imageUrl: null,
        definitionHash: null,
        createdAt: at,
        updatedAt: at,
      })
      .execute();
    await insertBareArticle(db, ARTICLE, at);
    const actors = [
      "https://spam.example/users/a",
      "http://a.spam.example:8080/users/b",
      "https://notspam.example/users/c",
      "https://spam.example.org/users/d",
    ];
    await db
      .insertInto("followers")
      .values([
        ...actors.map((actorId) => ({
          feedSlug: "world",
          actorId,
          inboxUrl: `${actorId}/inbox`,
          sharedInboxUrl: null,
          followId: null,
          createdAt: at,
        })),
        // Its account elsewhere, its inbox on the blocked server: it goes too.
        {
          feedSlug: "world",
          actorId: "https://elsewhere.example/users/e",
          inboxUrl: "https://elsewhere.example/users/e/inbox",
          sharedInboxUrl: "https://spam.example/inbox",
          followId: null,
          createdAt: at,
        },
      ])
      .execute();
    await db
      .insertInto("articleInteractions")
      .values(
        actors.map((actorId, i) => ({
          articleId: ARTICLE,
          kind: "like" as const,
          actorId,
          activityId: `${actorId}/likes/${i}`,
          createdAt: at,
        })),
      )
      .execute();
    await db
      .insertInto("articleReplies")
      .values(
        actors.map((actorId) => ({
          id: `${actorId}/notes/1`,
          articleId: ARTICLE,
          actorId,
          url: null,
          contentHtml: "<p>r</p>",
          publishedAt: at,
          createdAt: at,
        })),
      )
      .execute();
  });
  afterAll(() => database?.destroy());

  it("removes followers, likes and replies on spam.example and its subdomains only, in one go", async () => {
    const moderation = createModerationStore(database.db);
    const result = await moderation.block(
      {
        kind: "domain",
        target: "spam.example",
        severity: "suspend",
        rejectReports: false,
        comment: null,
      },
      new Date(),
    );
    expect(result.effects).toEqual({
      followersRemoved: 3,
      interactionsRemoved: 2,
      repliesRemoved: 2,
    });
    const left = await database.db
      .selectFrom("followers")
      .select("actorId")
      .orderBy("actorId")
      .execute();
    expect(left.map((row) => row.actorId)).toEqual([
      "https://notspam.example/users/c",
      "https://spam.example.org/users/d",
    ]);
    const blocks = await moderation.blocks.all();
    expect(blocks.map((b) => b.target)).toEqual(["spam.example"]);
  });
});
