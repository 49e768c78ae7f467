import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Article, LiveUpdate } from "../../src/domain/article.ts";
import type { Feed } from "../../src/domain/feed.ts";
import type { QuoteAuthorization } from "../../src/domain/quotes.ts";
import { toActor } from "../../src/federation/actor.ts";
import { toCorrectionActivity, toCorrectionNote } from "../../src/federation/correction-objects.ts";
import { toMove } from "../../src/federation/move-objects.ts";
import {
  toCreate,
  toDelete,
  toLiveUpdateActivity,
  toLiveUpdateNote,
  toObject,
  toUpdate,
} from "../../src/federation/objects.ts";
import { expandPublicAudience } from "../../src/federation/public-audience.ts";
import {
  toInteractionPolicy,
  toQuoteAccept,
  toQuoteAuthorization,
  toQuoteAuthorizationDelete,
  toQuoteReject,
} from "../../src/federation/quote-objects.ts";
import { createFederationRuntime, type FederationRuntime } from "../../src/federation/runtime.ts";
import {
  toContextCollection,
  toRepliesCollection,
} from "../../src/federation/thread-collections.ts";
import { silentLogger } from "../../src/logger.ts";
import { createArticleRepository } from "../../src/storage/article-repository.ts";
import { createLiveUpdateRepository } from "../../src/storage/live-update-repository.ts";
import { createStores } from "../../src/storage/stores.ts";
import { createTestDatabase, type TestDatabase } from "../support/databases.ts";
import { FIXTURE_PUBLIC_URL, fixtureFeed, fixtureStory } from "../support/fixture-story.ts";

/**
 * What the fediverse sees, pinned as JSON files: a change to the actor, the Note or Article, or
 * an activity shows up in review. Key material and the feed's creation time vary per run and
 * are replaced by placeholders.
 */
describe("ActivityPub documents", () => {
  let database: TestDatabase;
  let runtime: FederationRuntime;
  const feed: Feed = {
    ...fixtureFeed(),
    iconUrl: "https://news.example/media/feeds/us-russia-syria.png",
  };
  const story: Article = { ...fixtureStory(), tags: ["Syria", "United States"] };

  beforeAll(async () => {
    database = await createTestDatabase("pglite");
    await database.db
      .insertInto("feeds")
      .values({
        ...feed,
        definitionHash: null,
      })
      .execute();
    runtime = await snapshotRuntime(database, new Date("2026-11-26T12:00:00Z"));
  });
  afterAll(() => database.destroy());

  const context = () => {
    const ctx = runtime.federation.createContext(new URL(FIXTURE_PUBLIC_URL), runtime.data);
    return {
      ctx,
      objects: {
        publicUrl: FIXTURE_PUBLIC_URL,
        actorUri: ctx.getActorUri(feed.slug),
        followersUri: ctx.getFollowersUri(feed.slug),
      },
    };
  };

  it("pins the feed's actor", async () => {
    const { ctx } = context();
    const actor = await toActor(ctx, feed);
    const doc = JSON.parse(await json(actor)) as Record<string, unknown>;
    expect(doc.type).toBe("Organization");
    expect(doc.preferredUsername).toBe("us-russia-syria");
    await expect(await json(actor)).toMatchFileSnapshot("./__snapshots__/actor.json");
  });

  it("pins the Note and the Article", async () => {
    const { objects } = context();
    const note = toObject(story, feed, objects);
    const article = toObject(story, { ...feed, objectType: "Article" }, objects);
    expect(note.constructor.name).toBe("Note");
    expect(article.constructor.name).toBe("Article");
    // FEP-b2b8: a short Note for servers that do not show long-form, with the lead image.
    const preview = (JSON.parse(await json(article)) as { preview: Record<string, unknown> })
      .preview;
    expect(preview.type).toBe("Note");
    const text = String(preview.content).replace(/<[^>]+>/g, "");
    expect(text.length).toBeLessThanOrEqual(500);
    expect(preview.attachment).toMatchObject({ type: "Image", url: story.image?.url });
    await expect(await json(note)).toMatchFileSnapshot("./__snapshots__/note.json");
    await expect(await json(article)).toMatchFileSnapshot("./__snapshots__/article.json");
  });

  it("pins Create, Update and Delete, with ids derived from article and revision", async () => {
    const { objects } = context();
    const revised: Article = {
      ...story,
      headline: `${story.headline} (updated)`,
      revision: 2,
      updatedAt: new Date("2016-07-20T12:00:00Z"),
    };
    const deleted: Article = {
      ...revised,
      revision: 3,
      deletedAt: new Date("2016-07-21T08:00:00Z"),
    };
    const create = toCreate(story, feed, objects);
    expect(create.id?.href).toBe(
      `${FIXTURE_PUBLIC_URL}/ap/feeds/us-russia-syria/articles/${story.id}/revisions/1/create`,
    );
    expect(toCreate(story, feed, objects).id?.href).toBe(create.id?.href);
    await expect(await json(create)).toMatchFileSnapshot("./__snapshots__/create.json");
    await expect(await json(toUpdate(revised, feed, objects))).toMatchFileSnapshot(
      "./__snapshots__/update.json",
    );
    await expect(await json(toDelete(deleted, feed, objects))).toMatchFileSnapshot(
      "./__snapshots__/delete.json",
    );
  });

  it("pins quotes with consent (FEP-044f): each policy, the authorization, Accept, Reject, Delete", async () => {
    const { objects } = context();
    const target = `${FIXTURE_PUBLIC_URL}/ap/feeds/us-russia-syria/articles/${story.id}`;
    const quote: QuoteAuthorization = {
      id: "0196f1a2-0000-7000-8000-0000000000a1",
      articleId: story.id,
      feedSlug: feed.slug,
      targetUri: target,
      quotingObject: "https://mastodon.example/users/alice/statuses/1150",
      quotingActor: "https://mastodon.example/users/alice",
      quotingInbox: "https://mastodon.example/users/alice/inbox",
      requestId: "https://mastodon.example/users/alice/quote_requests/1150",
      createdAt: new Date("2016-07-20T10:00:00Z"),
      revokedAt: null,
    };
    const policies: Record<string, unknown> = {};
    for (const quotePolicy of ["everyone", "followers", "nobody"] as const) {
      const policy = toInteractionPolicy({ ...feed, quotePolicy }, objects);
      policies[quotePolicy] = await policy.toJsonLd({ format: "compact" });
    }
    const authorization = JSON.parse(await json(toQuoteAuthorization(quote, objects))) as {
      id: string;
      type: string;
    };
    expect(authorization.type).toBe("QuoteAuthorization");
    expect(authorization.id).toBe(`${target}/quotes/${quote.id}`);
    await expect(
      `${JSON.stringify(expandPublicAudience(policies), null, 2)}\n`,
    ).toMatchFileSnapshot("./__snapshots__/interaction-policies.json");
    await expect(await json(toQuoteAuthorization(quote, objects))).toMatchFileSnapshot(
      "./__snapshots__/quote-authorization.json",
    );
    await expect(await json(await toQuoteAccept(quote, objects))).toMatchFileSnapshot(
      "./__snapshots__/quote-accept.json",
    );
    await expect(await json(await toQuoteReject(quote, objects))).toMatchFileSnapshot(
      "./__snapshots__/quote-reject.json",
    );
    await expect(await json(toQuoteAuthorizationDelete(quote, objects))).toMatchFileSnapshot(
      "./__snapshots__/quote-authorization-delete.json",
    );
  });

  it("pins the Update of a correction: the note opens the content, updated at the correction", async () => {
    const { objects } = context();
    const correctedAt = new Date("2016-07-20T12:30:00Z");
    const corrected: Article = {
      ...story,
      revision: 2,
      updatedAt: correctedAt,
      corrections: [
        {
          id: "0196f1a2-0000-7000-8000-000000000001",
          revision: 2,
          note: "An earlier version said the talks were in Geneva & <Vienna>.",
          correctedAt,
        },
      ],
    };
    const update = JSON.parse(await json(toUpdate(corrected, feed, objects))) as {
      updated: string;
      object: { content: string; updated: string };
    };
    expect(update.object.content).toMatch(
      /^<p><strong>Correction \(2016-07-20 12:30 UTC\):<\/strong> An earlier version said the talks were in Geneva &amp; &lt;Vienna&gt;\.<\/p><p><strong>/,
    );
    expect(update.object.updated).toBe("2016-07-20T12:30:00Z");
    await expect(await json(toUpdate(corrected, feed, objects))).toMatchFileSnapshot(
      "./__snapshots__/update-correction.json",
    );
  });

  // Last in this block: the alias it adds shows in the feed's actor from now on.
  it("pins a rename: the Move and the old actor's document (movedTo), the new one's alsoKnownAs", async () => {
    const { ctx } = context();
    await database.db
      .insertInto("feedAliases")
      .values({
        slug: "syria-talks",
        feedSlug: feed.slug,
        renamedAt: new Date("2026-11-26T12:00:00Z"),
        keyPairs: "[]", // renamed before it signed anything: the old actor signs with the feed's keys
      })
      .execute();
    const move = toMove(ctx, "syria-talks", feed.slug, "42");
    expect(move.id?.href).toBe(`${FIXTURE_PUBLIC_URL}/ap/feeds/syria-talks/moves/42`);
    await expect(await json(move)).toMatchFileSnapshot("./__snapshots__/move.json");
    const moved = await toActor(ctx, feed, { movedFrom: "syria-talks" });
    const doc = JSON.parse(await json(moved)) as Record<string, unknown>;
    expect(doc).toMatchObject({
      id: `${FIXTURE_PUBLIC_URL}/ap/feeds/syria-talks`,
      preferredUsername: "syria-talks",
      movedTo: `${FIXTURE_PUBLIC_URL}/ap/feeds/${feed.slug}`,
    });
    await expect(await json(moved)).toMatchFileSnapshot("./__snapshots__/moved-actor.json");
    const current = JSON.parse(await json(await toActor(ctx, feed))) as Record<string, unknown>;
    expect(current.alsoKnownAs).toBe(`${FIXTURE_PUBLIC_URL}/ap/feeds/syria-talks`);
  });
});

describe("ActivityPub documents of a live story's thread", () => {
  let database: TestDatabase;
  let runtime: FederationRuntime;
  const feed = fixtureFeed();
  const story: Article = { ...fixtureStory(), feeds: [feed.slug], live: true };
  const now = new Date("2016-07-20T12:00:00Z");
  const liveUpdate = (n: number, extra: Partial<LiveUpdate> = {}): LiveUpdate => {
    const at = new Date(`2016-07-20T0${n}:00:00Z`);
    return {
      id: `0191c8a2-7a3e-7cc1-9d3e-00000000000${n}`,
      articleId: story.id,
      externalId: null,
      headline: n === 1 ? "Kerry lands in Moscow" : null,
      bodyHtml: `<p>Update ${n}: talks with Lavrov.</p>`,
      authors: [],
      image: null,
      publishedAt: at,
      updatedAt: at,
      createdAt: at,
      revision: 1,
      deletedAt: null,
      ...extra,
    };
  };
  const updates = [
    liveUpdate(1, { image: { url: "https://news.example/media/kerry.jpg", alt: "Kerry" } }),
    liveUpdate(2),
    liveUpdate(3, { deletedAt: new Date("2016-07-20T04:00:00Z"), revision: 2 }),
    // Embargoed at `now`: in no collection.
    liveUpdate(4, { publishedAt: new Date("2016-07-20T13:00:00Z") }),
  ];

  beforeAll(async () => {
    database = await createTestDatabase("pglite");
    await database.db
      .insertInto("feeds")
      .values({ ...feed, definitionHash: null })
      .execute();
    await createArticleRepository(database.db).insert(story);
    const liveUpdates = createLiveUpdateRepository(database.db);
    for (const update of updates) await liveUpdates.insert(update);
    runtime = await snapshotRuntime(database, now);
  });
  afterAll(() => database.destroy());

  const objects = () => {
    const ctx = runtime.federation.createContext(new URL(FIXTURE_PUBLIC_URL), runtime.data);
    return {
      publicUrl: FIXTURE_PUBLIC_URL,
      actorUri: ctx.getActorUri(feed.slug),
      followersUri: ctx.getFollowersUri(feed.slug),
    };
  };

  it("pins a live update's Note and its Create: a reply to the article in its context", async () => {
    const [first] = updates as [LiveUpdate];
    const note = JSON.parse(await json(toLiveUpdateNote(first, story, feed, objects()))) as {
      inReplyTo: string;
      context: string;
    };
    const articleObject = `${FIXTURE_PUBLIC_URL}/ap/feeds/${feed.slug}/articles/${story.id}`;
    expect(note.inReplyTo).toBe(articleObject);
    expect(note.context).toBe(`${articleObject}/context`);
    await expect(await json(toLiveUpdateNote(first, story, feed, objects()))).toMatchFileSnapshot(
      "./__snapshots__/live-update-note.json",
    );
    await expect(
      await json(toLiveUpdateActivity("create", first, story, feed, objects())),
    ).toMatchFileSnapshot("./__snapshots__/live-update-create.json");
  });

  it("pins a correction's reply: a short escaped Note in the thread, named by the correction", async () => {
    const correction = {
      id: "0196f1a2-0000-7000-8000-000000000002",
      revision: 2,
      note: "An earlier version put the talks in Geneva & <Vienna>.\u0007",
      correctedAt: new Date("2016-07-20T12:30:00Z"),
    };
    const corrected: Article = { ...story, revision: 2, corrections: [correction] };
    const articleObject = `${FIXTURE_PUBLIC_URL}/ap/feeds/${feed.slug}/articles/${story.id}`;
    const note = JSON.parse(
      await json(toCorrectionNote(correction, corrected, feed, objects())),
    ) as Record<string, unknown>;
    expect(note).toMatchObject({
      id: `${articleObject}/corrections/${correction.id}`,
      inReplyTo: articleObject,
      context: `${articleObject}/context`,
      content:
        "<p>Correction: An earlier version put the talks in Geneva &amp; &lt;Vienna&gt;.</p>",
      published: "2016-07-20T12:30:00Z",
    });
    const create = toCorrectionActivity("create", correction, corrected, feed, objects());
    expect(create.id?.href).toBe(`${articleObject}/corrections/${correction.id}/create`);
    await expect(
      await json(toCorrectionNote(correction, corrected, feed, objects())),
    ).toMatchFileSnapshot("./__snapshots__/correction-reply-note.json");
  });

  it("pins the context collection and its page: the article, then public updates in order", async () => {
    const request = { thread: runtime.data.repos.thread, article: story, feed, now };
    const collection = await toContextCollection({ ...request, ctx: objects(), page: null });
    const page = await toContextCollection({ ...request, ctx: objects(), page: 1 });
    const items = (JSON.parse(await json(page)) as { orderedItems: string[] }).orderedItems;
    expect(items.map((uri) => uri.split("/").at(-1))).toEqual([
      story.id,
      updates[0]?.id,
      updates[1]?.id,
    ]);
    await expect(await json(collection)).toMatchFileSnapshot("./__snapshots__/context.json");
    await expect(await json(page)).toMatchFileSnapshot("./__snapshots__/context-page.json");
    const replies = await toRepliesCollection({ ...request, ctx: objects(), page: null });
    expect((JSON.parse(await json(replies)) as { totalItems: number }).totalItems).toBe(2);
  });
});

/** Federation on the test database, its clock stopped at `now`, nothing delivered. */
function snapshotRuntime(database: TestDatabase, now: Date): Promise<FederationRuntime> {
  return createFederationRuntime({
    storage: createStores(database.db).federation,
    publicUrl: FIXTURE_PUBLIC_URL,
    logger: silentLogger,
    clock: { now: () => now },
    databaseUrl: undefined,
    allowPrivateAddress: false,
    deliveryConcurrency: 1,
  });
}

/** As served by GET: compact JSON-LD with the public audience written out (public-audience.ts). */
const json = async (value: { toJsonLd(options?: { format?: "compact" }): Promise<unknown> }) =>
  `${JSON.stringify(redact(expandPublicAudience(await value.toJsonLd({ format: "compact" }))), null, 2)}\n`;

/** Replaces per-run values (keys, creation time) with stable placeholders. */
function redact(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redact);
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value).map(([key, inner]) => {
        if (key === "publicKeyPem" || key === "publicKeyMultibase") return [key, `<${key}>`];
        if (
          key === "published" &&
          typeof inner === "string" &&
          inner.startsWith("20") &&
          !inner.startsWith("2016")
        ) {
          return [key, "<feed created>"];
        }
        return [key, redact(inner)];
      }),
    );
  }
  return value;
}
