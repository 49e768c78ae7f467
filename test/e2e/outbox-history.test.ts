/**
 * The whole history on the fediverse side: a feed's ActivityPub outbox pages through every
 * public article (230 here, with a deleted and an embargoed one beside them), in the order of
 * the archive walk. Over a real socket, with federation on, on both databases.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Article } from "../../src/domain/article.ts";
import { newestFirst, seedArticles } from "../support/archive-seed.ts";
import { DATABASE_KINDS } from "../support/databases.ts";
import { type FederatedServer, startFederatedServer } from "../support/federated-server.ts";

type Json = Record<string, unknown>;
const AP = "application/activity+json";
const FEED = "world";

describe.each(DATABASE_KINDS)("the outbox's history on %s", (kind) => {
  let server: FederatedServer;
  /** Every public article of the feed, newest first. */
  let visible: Article[] = [];

  beforeAll(async () => {
    server = await startFederatedServer(kind);
    const seeded = await seedArticles(
      server.database.db,
      FEED,
      229,
      new Date("2026-01-01T00:00:00Z"),
    );
    // One through the admin API, as a newsroom publishes (and so the caches hear of the change).
    const push = await server.admin("POST", "/admin/articles", {
      headline: "Story 230",
      bodyHtml: "<p>The newest.</p>",
      feeds: [FEED],
      publishedAt: new Date().toISOString(),
    });
    expect(push.status).toBe(201);
    const pushed = (await push.json()) as { id: string };
    const deleted = seeded[100];
    expect((await server.admin("DELETE", `/admin/articles/${deleted?.id}`)).status).toBeLessThan(
      300,
    );
    const embargo = await server.admin("POST", "/admin/articles", {
      headline: "Not yet",
      bodyHtml: "<p>Later.</p>",
      feeds: [FEED],
      publishedAt: new Date(Date.now() + 86_400_000).toISOString(),
    });
    expect(embargo.status).toBe(201);
    const stored = await server.database.db
      .selectFrom("articles")
      .select(["id", "publishedAt"])
      .where("id", "=", pushed.id)
      .executeTakeFirstOrThrow();
    visible = newestFirst([
      ...seeded.filter((article) => article.id !== deleted?.id),
      { ...(seeded[0] as Article), id: pushed.id, publishedAt: new Date(stored.publishedAt) },
    ]);
    await server.settle();
  }, 60_000);
  afterAll(() => server.close());

  const get = async (url: string, accept: string) => {
    const response = await fetch(url, { headers: { accept } });
    expect(response.status, url).toBe(200);
    return response;
  };
  const articleIdOf = (objectId: string) => objectId.slice(objectId.lastIndexOf("/") + 1);

  it("pages through every public article once, newest first, the archive walk's order", async () => {
    const outbox = (await (await get(`${server.url}/ap/feeds/${FEED}/outbox`, AP)).json()) as Json;
    expect(outbox.totalItems).toBe(visible.length);
    const seen: string[] = [];
    let next: unknown = outbox.first;
    let pages = 0;
    while (typeof next === "string" && pages < 50) {
      const page = (await (await get(next, AP)).json()) as Json;
      const items = [page.orderedItems ?? []].flat() as Json[];
      expect(items.every((item) => item.type === "Create")).toBe(true);
      seen.push(...items.map((item) => articleIdOf(String((item.object as Json).id))));
      next = page.next;
      pages++;
    }
    expect(seen).toEqual(visible.map((article) => article.id));

    // The JSON Feed archive, walked down next_url from the feed, holds them in the same order.
    const archived: string[] = [];
    let url: unknown = (
      (await (await get(`${server.url}/feeds/${FEED}.json`, "*/*")).json()) as Json
    ).next_url;
    while (typeof url === "string") {
      const page = (await (await get(url, "*/*")).json()) as {
        items: { id: string }[];
        next_url?: string;
      };
      archived.push(...page.items.map((item) => articleIdOf(item.id)));
      url = page.next_url;
    }
    expect(archived).toEqual(seen);
  });
});
