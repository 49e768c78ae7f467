import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { THREAD_PAGE_SIZE } from "../../src/federation/thread-collections.ts";
import type { ArticleOutput } from "../../src/schemas/article.schema.ts";
import { DATABASE_KINDS } from "../support/databases.ts";
import { type FederatedServer, startFederatedServer } from "../support/federated-server.ts";
import {
  ACTIVITY_JSON_ACCEPT,
  createNote,
  fetchActor,
  follow,
  type PeerServer,
  PUBLIC_COLLECTION,
  postSigned,
  type ReceivedActivity,
  startPeerServer,
} from "../support/fediverse-peer.ts";

type Json = Record<string, unknown>;

/**
 * A developing story as one fediverse thread, seen by an independent peer (node:crypto, no
 * Fedify) that follows a feed over signed HTTP on loopback: the article's Create, each live
 * update as a Create of a Note replying to it from the same actor, the shared `context`, a
 * correction as the article's Update plus a `Correction: …` reply, an update's Update and
 * Delete, and an embargoed update that nobody sees before its time.
 */
describe.each(DATABASE_KINDS)("live updates as one fediverse thread (%s)", (kind) => {
  let server: FederatedServer;
  let peer: PeerServer;
  let articleId: string;
  const updateIds: string[] = [];
  let embargoedId: string | undefined;
  let correctionId = "";
  const actorId = () => `${server.url}/ap/feeds/world`;
  const articleObjectId = () => `${actorId()}/articles/${articleId}`;
  const updateObjectId = (id: string) => `${articleObjectId()}/updates/${id}`;
  const contextId = () => `${articleObjectId()}/context`;
  const correctionObjectId = () => `${articleObjectId()}/corrections/${correctionId}`;
  const objectOf = (record: ReceivedActivity) => record.activity.object as Json;

  const pushUpdate = async (body: Json) => {
    const response = await server.admin("POST", `/admin/articles/${articleId}/updates`, body);
    expect(response.status).toBe(201);
    return ((await response.json()) as { id: string }).id;
  };
  const createOf = (objectId: string) =>
    peer.waitFor((r) => r.type === "Create" && objectOf(r).id === objectId, 15_000);
  /** GETs an object as a server would; the status, and the document when there is one. */
  const dereference = async (url: string) => {
    const response = await fetch(url, { headers: { accept: ACTIVITY_JSON_ACCEPT } });
    const type = response.headers.get("content-type") ?? "";
    const body = type.includes("json") ? ((await response.json()) as Json) : undefined;
    return { status: response.status, body };
  };

  /** The context collection's items, page by page, as a server backfilling the thread reads them. */
  const contextItems = async () => {
    const items: unknown[] = [];
    let next: unknown = (await fetchActor(contextId())).first;
    while (typeof next === "string") {
      const page = await fetchActor(next);
      expect(page.partOf).toBe(contextId());
      items.push(...[page.orderedItems ?? []].flat());
      next = page.next;
    }
    return items;
  };
  /** The objects of the Creates in the feed's outbox (its first page), newest first. */
  const outboxObjects = async () => {
    const outbox = await fetchActor(`${actorId()}/outbox`);
    const page = await fetchActor(String(outbox.first));
    return [page.orderedItems ?? []].flat().map((item) => ((item as Json).object as Json).id);
  };
  /** Resolves once every outbox entry about this update has been handled by the relay. */
  const relayed = async (updateId: string) => {
    const deadline = Date.now() + 15_000;
    for (;;) {
      const pending = await server.database.db
        .selectFrom("federationOutbox")
        .select((eb) => eb.fn.countAll<string>().as("n"))
        .where("liveUpdateId", "=", updateId)
        .where("processedAt", "is", null)
        .executeTakeFirstOrThrow();
      if (Number(pending.n) === 0) return;
      if (Date.now() > deadline) throw new Error(`outbox entries of ${updateId} still pending`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };

  beforeAll(async () => {
    server = await startFederatedServer(kind);
    peer = await startPeerServer({ host: "127.0.0.1", actors: ["alice"] });
    const alice = peer.actor("alice");
    const response = await postSigned(`${actorId()}/inbox`, follow(alice, actorId()), {
      actor: alice,
    });
    expect(response.status).toBe(202);
    await peer.waitFor((r) => r.type === "Accept", 15_000);
  });
  afterAll(async () => {
    await peer?.close();
    await server?.close();
  });

  it("sends the article, then each update as a reply to it from the same actor", async () => {
    const push = await server.admin("POST", "/admin/articles", {
      headline: "Kerry lands in Moscow",
      standfirst: "Talks with Lavrov on Syria.",
      bodyHtml: "<p>The secretary of state arrived on Thursday.</p>",
      feeds: ["world"],
    });
    expect(push.status).toBe(201);
    articleId = ((await push.json()) as ArticleOutput).id;
    const article = await createOf(articleObjectId());
    expect(objectOf(article).context).toBe(contextId());
    expect(article.activity.context).toBe(contextId());

    for (const [n, text] of ["Talks begin.", "Lavrov: 'concrete'.", "Talks end."].entries()) {
      updateIds.push(await pushUpdate({ headline: `Update ${n + 1}`, bodyHtml: `<p>${text}</p>` }));
    }
    const creates = await Promise.all(updateIds.map((id) => createOf(updateObjectId(id))));
    for (const [n, create] of creates.entries()) {
      const note = objectOf(create);
      const id = updateIds[n] ?? "";
      expect(create.activity.id).toBe(`${updateObjectId(id)}/revisions/1/create`);
      expect(create.actor).toBe(actorId());
      expect(note).toMatchObject({
        type: "Note",
        inReplyTo: articleObjectId(),
        attributedTo: actorId(),
        context: contextId(),
        url: `${server.url}/articles/${articleId}#update-${id}`,
        cc: `${actorId()}/followers`,
      });
      expect([note.to].flat()).toContain(PUBLIC_COLLECTION);
      expect(String(note.content)).toContain(`<strong>Update ${n + 1}</strong>`);
    }
    // In the order they were pushed: followers see the thread grow as it did.
    const order = peer.received.filter((r) => r.type === "Create").map((r) => objectOf(r).id);
    expect(order).toEqual([articleObjectId(), ...updateIds.map(updateObjectId)]);
  });

  it("serves each update Note by GET, with the public audience written out", async () => {
    for (const id of updateIds) {
      const note = await fetchActor(updateObjectId(id));
      expect(note).toMatchObject({ id: updateObjectId(id), inReplyTo: articleObjectId() });
      expect(note.to).toBe(PUBLIC_COLLECTION);
    }
    const browser = await fetch(updateObjectId(updateIds[0] ?? ""), { redirect: "manual" });
    expect(browser.status).toBe(303);
    expect(browser.headers.get("location")).toBe(
      `${server.url}/articles/${articleId}#update-${updateIds[0]}`,
    );
  });

  it("lists the thread in its context collection: the article first, then the updates", async () => {
    const context = await fetchActor(contextId());
    expect(context).toMatchObject({
      id: contextId(),
      type: "OrderedCollection",
      attributedTo: actorId(),
      totalItems: 4,
      first: `${contextId()}/page/1`,
    });
    expect(await contextItems()).toEqual([articleObjectId(), ...updateIds.map(updateObjectId)]);
    // Every object of the thread names it, as served by GET too.
    for (const id of [articleObjectId(), ...updateIds.map(updateObjectId)]) {
      expect((await fetchActor(id)).context).toBe(contextId());
    }
  });

  it("lists the updates and readers' replies in the article's replies collection", async () => {
    const alice = peer.actor("alice");
    // One reader answers the story, another answers its first update: both are in its thread.
    const replies = [articleObjectId(), updateObjectId(updateIds[0] ?? "")].map((target, n) => {
      const reply = createNote(alice, `<p>Reply ${n}</p>`);
      (reply.object as Json).inReplyTo = target;
      return reply;
    });
    for (const reply of replies) {
      const response = await postSigned(`${server.url}/ap/inbox`, reply, { actor: alice });
      expect(response.status).toBe(202);
    }
    await server.settle();
    const article = await fetchActor(articleObjectId());
    expect(article.replies).toBe(`${articleObjectId()}/replies`);
    const collection = await fetchActor(String(article.replies));
    expect(collection).toMatchObject({ type: "OrderedCollection", totalItems: 5 });
    const page = await fetchActor(String(collection.first));
    expect(page).toMatchObject({ type: "OrderedCollectionPage", partOf: article.replies });
    const items = page.orderedItems as string[];
    expect(items.slice(0, 3)).toEqual(updateIds.map(updateObjectId));
    expect(items.slice(3).sort()).toEqual(replies.map((r) => String((r.object as Json).id)).sort());
  });

  it("sends a correction as the article's Update plus a reply in its thread", async () => {
    const note = "An earlier version said the talks were in Geneva & <Vienna>.";
    const patch = await server.admin("PATCH", `/admin/articles/${articleId}`, {
      standfirst: "Talks with Lavrov on Syria, in Moscow.",
      correction: note,
    });
    expect(patch.status).toBe(200);
    const corrected = (await patch.json()) as ArticleOutput;
    correctionId = corrected.corrections[0]?.id ?? "";
    expect(corrected.corrections).toHaveLength(1);

    const update = await peer.waitFor(
      (r) => r.type === "Update" && objectOf(r).id === articleObjectId(),
      15_000,
    );
    expect(update.activity.id).toBe(`${articleObjectId()}/revisions/2/update`);
    expect(String(objectOf(update).content)).toContain("Geneva &amp; &lt;Vienna&gt;.");
    const reply = await createOf(correctionObjectId());
    const escaped =
      "<p>Correction: An earlier version said the talks were in Geneva &amp; &lt;Vienna&gt;.</p>";
    expect(reply.activity.id).toBe(`${correctionObjectId()}/create`);
    expect(reply.actor).toBe(actorId());
    expect(reply.activity.context).toBe(contextId());
    expect(objectOf(reply)).toMatchObject({
      type: "Note",
      inReplyTo: articleObjectId(),
      attributedTo: actorId(),
      context: contextId(),
      content: escaped,
      url: `${server.url}/articles/${articleId}#correction-${correctionId}`,
      cc: `${actorId()}/followers`,
    });
    expect([objectOf(reply).to].flat()).toContain(PUBLIC_COLLECTION);
    // The edit first, then the reply that tells followers about it.
    const arrived = peer.received.map((r) => r.activity.id);
    expect(arrived.indexOf(update.activity.id)).toBeLessThan(arrived.indexOf(reply.activity.id));

    // Dereferenceable like an update Note, and in the thread after the updates, in order.
    const served = await fetchActor(correctionObjectId());
    expect(served).toMatchObject({
      id: correctionObjectId(),
      content: escaped,
      context: contextId(),
    });
    expect(served.to).toBe(PUBLIC_COLLECTION);
    expect(await contextItems()).toEqual([
      articleObjectId(),
      ...updateIds.map(updateObjectId),
      correctionObjectId(),
    ]);
    const replies = await fetchActor(`${articleObjectId()}/replies/page/1`);
    expect([replies.orderedItems].flat()).toContain(correctionObjectId());
    // A reader answering the correction answers the story: kept in its thread.
    const alice = peer.actor("alice");
    const answer = createNote(alice, "<p>Thanks for the fix.</p>");
    (answer.object as Json).inReplyTo = correctionObjectId();
    const posted = await postSigned(`${server.url}/ap/inbox`, answer, { actor: alice });
    expect(posted.status).toBe(202);
    await server.settle();
    const after = await fetchActor(`${articleObjectId()}/replies/page/1`);
    expect([after.orderedItems].flat()).toContain(String((answer.object as Json).id));

    // A silent fix is an Update alone: the correction is not posted a second time.
    const fix = await server.admin("PATCH", `/admin/articles/${articleId}`, {
      standfirst: "Talks with Lavrov on Syria, in Moscow, on Thursday.",
    });
    expect(fix.status).toBe(200);
    await peer.waitFor((r) => r.activity.id === `${articleObjectId()}/revisions/3/update`, 15_000);
    await server.settle();
    const replyCreates = peer.received.filter(
      (r) => r.type === "Create" && objectOf(r).id === correctionObjectId(),
    );
    expect(replyCreates).toHaveLength(1);
  });

  it("sends an Update when an update is edited, and a Delete when it is removed", async () => {
    const [, second, third] = updateIds as [string, string, string];
    const patch = await server.admin("PATCH", `/admin/articles/${articleId}/updates/${second}`, {
      bodyHtml: "<p>Lavrov: the proposals are 'concrete'.</p>",
    });
    expect(patch.status).toBe(200);
    const update = await peer.waitFor(
      (r) => r.type === "Update" && objectOf(r).id === updateObjectId(second),
      15_000,
    );
    expect(update.activity.id).toBe(`${updateObjectId(second)}/revisions/2/update`);
    expect(String(objectOf(update).content)).toContain("the proposals are");
    expect(objectOf(update).inReplyTo).toBe(articleObjectId());

    const removed = await server.admin("DELETE", `/admin/articles/${articleId}/updates/${third}`);
    expect(removed.status).toBe(204);
    const deletion = await peer.waitFor(
      (r) => r.type === "Delete" && objectOf(r).id === updateObjectId(third),
      15_000,
    );
    expect(deletion.activity.id).toBe(`${updateObjectId(third)}/revisions/2/delete`);
    expect(objectOf(deletion).type).toBe("Tombstone");
    const gone = await dereference(updateObjectId(third));
    expect(gone.status).toBe(410);
    expect(gone.body?.type).toBe("Tombstone");
    expect(await contextItems()).toEqual([
      articleObjectId(),
      ...[updateIds[0], second].map((id) => updateObjectId(id ?? "")),
      correctionObjectId(),
    ]);
  });

  it("shows an embargoed update nowhere, and sends it when its time comes", async () => {
    const publishedAt = new Date(Date.now() + 3_000);
    const embargoed = await pushUpdate({
      bodyHtml: "<p>Joint statement at noon.</p>",
      publishedAt: publishedAt.toISOString(),
    });
    expect((await dereference(updateObjectId(embargoed))).status).toBe(404);
    expect(await contextItems()).not.toContain(updateObjectId(embargoed));
    expect(await outboxObjects()).not.toContain(updateObjectId(embargoed));
    const replies = await fetchActor(`${articleObjectId()}/replies/page/1`);
    expect(replies.orderedItems).not.toContain(updateObjectId(embargoed));
    await server.settle(); // everything due now has gone out
    expect(peer.received.some((r) => objectOf(r).id === updateObjectId(embargoed))).toBe(false);

    embargoedId = embargoed;
    const create = await createOf(updateObjectId(embargoed));
    expect(create.receivedAt).toBeGreaterThanOrEqual(publishedAt.getTime());
    expect(objectOf(create).inReplyTo).toBe(articleObjectId());
    expect((await dereference(updateObjectId(embargoed))).status).toBe(200);
    expect((await contextItems()).at(-1)).toBe(updateObjectId(embargoed));
    // The feed's outbox lists stories and updates together, newest first.
    expect((await outboxObjects()).slice(0, 3)).toEqual([
      updateObjectId(embargoed),
      updateObjectId(updateIds[1] ?? ""),
      updateObjectId(updateIds[0] ?? ""),
    ]);
  });

  it("sends nothing about an update deleted before its embargo lifted", async () => {
    const publishedAt = new Date(Date.now() + 1_500);
    const withdrawn = await pushUpdate({
      bodyHtml: "<p>Not to be published.</p>",
      publishedAt: publishedAt.toISOString(),
    });
    const removed = await server.admin(
      "DELETE",
      `/admin/articles/${articleId}/updates/${withdrawn}`,
    );
    expect(removed.status).toBe(204);
    // Its Create came due at its time and the relay took it (and dropped it).
    await relayed(withdrawn);
    expect(Date.now()).toBeGreaterThanOrEqual(publishedAt.getTime());
    await server.settle();
    expect(peer.received.some((r) => objectOf(r).id === updateObjectId(withdrawn))).toBe(false);
    expect((await dereference(updateObjectId(withdrawn))).status).toBe(404);
  });

  it("takes the updates' posts along when the article joins a feed, or is deleted", async () => {
    const updatePosts = [updateIds[0], updateIds[1], embargoedId].map((id) =>
      updateObjectId(id ?? ""),
    );
    const visible = [...updatePosts, correctionObjectId()];
    const joined = await server.admin("PATCH", `/admin/articles/${articleId}`, {
      feeds: ["world", "us-russia-syria"],
    });
    expect(joined.status).toBe(200);
    const entries = await server.database.db
      .selectFrom("federationOutbox")
      .select(["kind", "liveUpdateId", "correctionId"])
      .where("articleId", "=", articleId)
      .where("feedSlug", "=", "us-russia-syria")
      .orderBy("id")
      .execute();
    // The article's Create in its new feed first, then its updates' posts oldest first, then
    // its correction's reply.
    expect(entries).toEqual([
      { kind: "create", liveUpdateId: null, correctionId: null },
      ...[updateIds[0], updateIds[1], embargoedId].map((id) => ({
        kind: "create",
        liveUpdateId: id,
        correctionId: null,
      })),
      { kind: "create", liveUpdateId: null, correctionId },
    ]);

    const removed = await server.admin("DELETE", `/admin/articles/${articleId}`);
    expect(removed.status).toBe(204);
    const deletes = await peer.waitForCount(
      (r) => r.type === "Delete" && visible.includes(String(objectOf(r).id)),
      visible.length,
      15_000,
    );
    expect(deletes.map((d) => objectOf(d).type)).toEqual(visible.map(() => "Tombstone"));
    await peer.waitFor((r) => r.type === "Delete" && objectOf(r).id === articleObjectId(), 15_000);
    for (const id of visible) expect((await dereference(id)).status).toBe(410);
  });
});

/** The thread's collections when a story runs long, on PGlite: pages, and what a bad page gets. */
describe("thread collections, paged", () => {
  let server: FederatedServer;
  let articleObject: string;
  const UPDATES = THREAD_PAGE_SIZE + 5;
  const get = async (url: string) => {
    const response = await fetch(url, { headers: { accept: ACTIVITY_JSON_ACCEPT } });
    return {
      status: response.status,
      type: response.headers.get("content-type"),
      body: (await response.json()) as Json,
    };
  };

  beforeAll(async () => {
    server = await startFederatedServer("pglite");
    const push = await server.admin("POST", "/admin/articles", {
      headline: "A long day of talks",
      bodyHtml: "<p>Text</p>",
      feeds: ["world"],
    });
    const articleId = ((await push.json()) as ArticleOutput).id;
    articleObject = `${server.url}/ap/feeds/world/articles/${articleId}`;
    const start = Date.now() - UPDATES * 1_000;
    for (let n = 0; n < UPDATES; n++) {
      const response = await server.admin("POST", `/admin/articles/${articleId}/updates`, {
        bodyHtml: `<p>Update ${n}</p>`,
        publishedAt: new Date(start + n * 1_000).toISOString(),
      });
      expect(response.status).toBe(201);
    }
  });
  afterAll(async () => {
    await server?.close();
  });

  it("pages the context: the article and 49 updates first, the rest next, in order", async () => {
    const context = (await get(`${articleObject}/context`)).body;
    expect(context).toMatchObject({
      totalItems: UPDATES + 1,
      last: `${articleObject}/context/page/2`,
    });
    const first = (await get(String(context.first))).body;
    const second = (await get(String(first.next))).body;
    expect(first.prev).toBeUndefined();
    expect(second).toMatchObject({ id: `${articleObject}/context/page/2`, prev: context.first });
    expect(second.next).toBeUndefined();
    const items = [...(first.orderedItems as string[]), ...(second.orderedItems as string[])];
    expect(items).toHaveLength(UPDATES + 1);
    expect(items[0]).toBe(articleObject);
    const updates = await server.admin(
      "GET",
      `/admin/articles/${articleObject.split("/").at(-1)}/updates`,
    );
    const newestFirst = ((await updates.json()) as { items: Array<{ id: string }> }).items;
    expect(items.slice(1)).toEqual(
      newestFirst.reverse().map((u) => `${articleObject}/updates/${u.id}`),
    );
  });

  it("pages the feed's outbox through stories and updates merged, newest first", async () => {
    const outbox = (await get(`${server.url}/ap/feeds/world/outbox`)).body;
    expect(outbox.totalItems).toBe(UPDATES + 1);
    const objects: string[] = [];
    let next: unknown = outbox.first;
    while (typeof next === "string") {
      const page = (await get(next)).body;
      const items = [page.orderedItems ?? []].flat() as Json[];
      objects.push(...items.map((item) => String((item.object as Json).id)));
      next = page.next;
    }
    // The story went out after its updates' backdated times: first, then the updates, newest first.
    expect(objects).toHaveLength(UPDATES + 1);
    expect(objects[0]).toBe(articleObject);
    const updates = objects.slice(1);
    expect(new Set(updates).size).toBe(UPDATES);
    const listed = await server.admin(
      "GET",
      `/admin/articles/${articleObject.split("/").at(-1)}/updates`,
    );
    const newestFirst = ((await listed.json()) as { items: Array<{ id: string }> }).items;
    expect(updates).toEqual(newestFirst.map((u) => `${articleObject}/updates/${u.id}`));
  });

  it("pages the replies collection the same way", async () => {
    const replies = (await get(`${articleObject}/replies`)).body;
    expect(replies.totalItems).toBe(UPDATES);
    const second = (await get(`${articleObject}/replies/page/2`)).body;
    expect(second.orderedItems).toHaveLength(UPDATES - THREAD_PAGE_SIZE);
  });

  it("answers a page that is not a positive number with problem+json naming it", async () => {
    for (const page of ["0", "x", "1.5"]) {
      const response = await get(`${articleObject}/context/page/${page}`);
      expect(response.status, page).toBe(422);
      expect(response.type).toMatch(/^application\/problem\+json/);
      expect((response.body.errors as Array<{ pointer: string }>)[0]?.pointer).toBe("/path/page");
    }
  });

  it("moves an embargoed story's updates with it when its time moves", async () => {
    const hour = 3_600_000;
    const publishedAt = new Date(Date.now() + hour);
    const push = await server.admin("POST", "/admin/articles", {
      headline: "Summit communiqué",
      bodyHtml: "<p>Text</p>",
      feeds: ["world"],
      publishedAt: publishedAt.toISOString(),
    });
    const id = ((await push.json()) as ArticleOutput).id;
    const update = await server.admin("POST", `/admin/articles/${id}/updates`, {
      bodyHtml: "<p>Leaders arrive.</p>",
    });
    const updateId = ((await update.json()) as { id: string }).id;
    const later = new Date(publishedAt.getTime() + hour);
    const moved = await server.admin("PATCH", `/admin/articles/${id}`, {
      publishedAt: later.toISOString(),
    });
    expect(moved.status).toBe(200);
    const entries = await server.database.db
      .selectFrom("federationOutbox")
      .select(["kind", "availableAt"])
      .where("liveUpdateId", "=", updateId)
      .orderBy("id")
      .execute();
    // Not before the story: first its old time (dropped then, the story not public), then its new.
    expect(entries.map((e) => [e.kind, new Date(e.availableAt).getTime()])).toEqual([
      ["create", publishedAt.getTime()],
      ["create", later.getTime()],
    ]);
  });

  it("gives a correction made under embargo no reply: its note opens the story's Create", async () => {
    const push = await server.admin("POST", "/admin/articles", {
      headline: "Ceasefire terms",
      bodyHtml: "<p>Text</p>",
      feeds: ["world"],
      publishedAt: new Date(Date.now() + 3_600_000).toISOString(),
    });
    const id = ((await push.json()) as ArticleOutput).id;
    const patch = await server.admin("PATCH", `/admin/articles/${id}`, {
      correction: "The truce starts at midnight, not noon.",
    });
    const correction = ((await patch.json()) as ArticleOutput).corrections[0]?.id;
    expect(correction).toBeDefined();
    const entries = await server.database.db
      .selectFrom("federationOutbox")
      .select(["kind", "correctionId"])
      .where("articleId", "=", id)
      .execute();
    expect(entries).toEqual([{ kind: "create", correctionId: null }]);
    const reply = await fetch(
      `${server.url}/ap/feeds/world/articles/${id}/corrections/${correction}`,
      {
        headers: { accept: ACTIVITY_JSON_ACCEPT },
      },
    );
    expect(reply.status).toBe(404);
  });

  it("has no thread for an article not yet published", async () => {
    const push = await server.admin("POST", "/admin/articles", {
      headline: "Embargoed story",
      bodyHtml: "<p>Text</p>",
      feeds: ["world"],
      publishedAt: new Date(Date.now() + 3_600_000).toISOString(),
    });
    const id = ((await push.json()) as ArticleOutput).id;
    for (const path of ["context", "replies", "context/page/1"]) {
      const response = await fetch(`${server.url}/ap/feeds/world/articles/${id}/${path}`, {
        headers: { accept: ACTIVITY_JSON_ACCEPT },
      });
      expect(response.status, path).toBe(404);
    }
  });
});
