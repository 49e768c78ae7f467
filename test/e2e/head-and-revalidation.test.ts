/**
 * HEAD on every public GET route: the same status and headers as GET, and no body; ETag and 304
 * on pages and ActivityPub documents, as on feeds. Over a real socket (the Node server), with
 * federation on, on both databases.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DATABASE_KINDS } from "../support/databases.ts";
import { type FederatedServer, startFederatedServer } from "../support/federated-server.ts";
import { fixtureStoryPush } from "../support/fixture-push.ts";

const BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
const AP = "application/activity+json";

/** Headers that belong to the connection or the moment, not to the answer. */
const TRANSIENT = new Set(["date", "connection", "keep-alive", "transfer-encoding"]);

interface Route {
  readonly path: string;
  readonly accept?: string;
  readonly status: number;
}

/** Every public GET route Tidings serves (see README), with the answer it gives here. */
function publicRoutes(host: string, articleId: string): Route[] {
  const webfinger = `/.well-known/webfinger?resource=${encodeURIComponent(`acct:world@${host}`)}`;
  return [
    { path: "/", accept: BROWSER, status: 200 },
    { path: "/?page=1", accept: BROWSER, status: 200 },
    { path: "/world", accept: BROWSER, status: 200 },
    { path: "/world", accept: AP, status: 303 },
    { path: "/world/follow?instance=mastodon.social", accept: BROWSER, status: 303 },
    { path: `/articles/${articleId}`, accept: BROWSER, status: 200 },
    { path: `/articles/${articleId}`, accept: AP, status: 303 },
    { path: "/no-such-page", accept: BROWSER, status: 404 },
    { path: "/tags/syria", accept: BROWSER, status: 200 },
    { path: "/tags/syria.rss", status: 200 },
    { path: "/tags/syria.atom", status: 200 },
    { path: "/tags/syria.json", status: 200 },
    { path: "/feeds/world.rss", status: 200 },
    { path: "/feeds/world.rss", accept: BROWSER, status: 200 },
    { path: "/feeds/world.atom", status: 200 },
    { path: "/feeds/world.json", status: 200 },
    { path: "/feeds/world/archive/1.rss", status: 200 },
    { path: "/feeds/world/archive/1.rss", accept: BROWSER, status: 200 },
    { path: "/feeds/world/archive/1.atom", status: 200 },
    { path: "/feeds/world/archive/1.json", status: 200 },
    { path: "/feeds/world/archive/2.json", status: 404 },
    { path: "/feeds.opml", status: 200 },
    { path: "/feeds.opml?format=json", status: 200 },
    { path: "/sitemap.xml", status: 200 },
    { path: "/news-sitemap.xml", status: 200 },
    { path: "/robots.txt", status: 200 },
    { path: "/favicon.ico", status: 200 },
    { path: "/assets/icon.png", status: 200 },
    { path: "/assets/site.css", status: 200 },
    { path: "/assets/site.js", status: 200 },
    { path: "/assets/feed.xsl", status: 200 },
    { path: "/assets/feed-preview.js", status: 200 },
    { path: "/media/feeds/world/icon.png", status: 200 },
    { path: "/media/feeds/world/header.png", status: 200 },
    { path: "/healthz", status: 200 },
    { path: "/problems/not-found", status: 200 },
    { path: webfinger, status: 200 },
    { path: "/.well-known/nodeinfo", status: 200 },
    { path: "/nodeinfo/2.1", status: 200 },
    { path: "/ap/feeds/world", accept: AP, status: 200 },
    { path: "/ap/feeds/world/outbox", accept: AP, status: 200 },
    { path: "/ap/feeds/world/outbox?cursor=0", accept: AP, status: 200 },
    { path: "/ap/feeds/world/followers", accept: AP, status: 200 },
    { path: "/ap/feeds/world/following", accept: AP, status: 200 },
    { path: "/ap/feeds/world/featured", accept: AP, status: 200 },
    { path: `/ap/feeds/world/articles/${articleId}`, accept: AP, status: 200 },
    { path: `/ap/feeds/world/articles/${articleId}`, accept: BROWSER, status: 303 },
  ];
}

function comparable(headers: Headers): Record<string, string> {
  return Object.fromEntries([...headers].filter(([name]) => !TRANSIENT.has(name)));
}

describe.each(DATABASE_KINDS)("HEAD on every public route on %s", (kind) => {
  let server: FederatedServer;
  let articleId = "";

  beforeAll(async () => {
    server = await startFederatedServer(kind, "direct");
    const push = await server.admin("POST", "/admin/articles", fixtureStoryPush());
    expect(push.status).toBe(201);
    articleId = ((await push.json()) as { id: string }).id;
  });
  afterAll(() => server.close());

  it("answers HEAD with GET's status and headers and no body", async () => {
    const routes = publicRoutes(server.host, articleId);
    const mismatches: string[] = [];
    for (const route of routes) {
      const init = (method: string): RequestInit => ({
        method,
        redirect: "manual",
        // Identity, so a stated length can be checked against the bytes fetch hands back.
        headers: {
          "accept-encoding": "identity",
          ...(route.accept ? { accept: route.accept } : {}),
        },
      });
      const get = await fetch(new URL(route.path, server.url), init("GET"));
      const body = new Uint8Array(await get.arrayBuffer());
      const head = await fetch(new URL(route.path, server.url), init("HEAD"));
      const headBody = new Uint8Array(await head.arrayBuffer());
      const label = `${route.path} (${route.accept ?? "no Accept"})`;
      expect(get.status, label).toBe(route.status);
      if (head.status !== get.status) mismatches.push(`${label}: HEAD ${head.status}`);
      expect(headBody.byteLength, label).toBe(0);
      const getHeaders = comparable(get.headers);
      const headHeaders = comparable(head.headers);
      // A length, where HEAD states one, is the GET body's.
      if (headHeaders["content-length"] !== undefined) {
        expect(headHeaders["content-length"], label).toBe(String(body.byteLength));
      }
      delete getHeaders["content-length"];
      delete headHeaders["content-length"];
      if (JSON.stringify(getHeaders) !== JSON.stringify(headHeaders)) {
        mismatches.push(
          `${label}: GET ${JSON.stringify(getHeaders)}\n   HEAD ${JSON.stringify(headHeaders)}`,
        );
      }
    }
    expect(mismatches).toEqual([]);
  });

  it("answers If-None-Match with 304 on pages and ActivityPub documents, until a change", async () => {
    const documents: Route[] = [
      { path: "/", accept: BROWSER, status: 200 },
      { path: "/world", accept: BROWSER, status: 200 },
      { path: `/articles/${articleId}`, accept: BROWSER, status: 200 },
      { path: "/tags/syria", accept: BROWSER, status: 200 },
      { path: "/ap/feeds/world", accept: AP, status: 200 },
      { path: "/ap/feeds/world/outbox", accept: AP, status: 200 },
      { path: `/ap/feeds/world/articles/${articleId}`, accept: AP, status: 200 },
      { path: "/ap/feeds/world/featured", accept: AP, status: 200 },
      { path: "/nodeinfo/2.1", status: 200 },
    ];
    const read = (route: Route, headers: Record<string, string> = {}) =>
      fetch(new URL(route.path, server.url), {
        headers: { ...(route.accept ? { accept: route.accept } : {}), ...headers },
      });
    const etags = new Map<string, string>();
    for (const route of documents) {
      const first = await read(route);
      expect(first.status, route.path).toBe(200);
      const etag = first.headers.get("etag") ?? "";
      expect(etag, route.path).toMatch(/^"[\w-]{24}"$/);
      await first.arrayBuffer();
      // The same answer again: the same tag (nothing in it depends on the moment).
      expect((await read(route)).headers.get("etag"), route.path).toBe(etag);
      const revalidated = await read(route, { "if-none-match": etag });
      expect(revalidated.status, route.path).toBe(304);
      expect(await revalidated.text()).toBe("");
      expect(revalidated.headers.get("etag")).toBe(etag);
      expect(revalidated.headers.get("vary"), route.path).toBe(first.headers.get("vary"));
      expect((await read(route, { "if-none-match": '"other"' })).status).toBe(200);
      etags.set(route.path, etag);
    }

    // A new story in the feed and an edit of the first one.
    const second = await server.admin("POST", "/admin/articles", {
      ...fixtureStoryPush(),
      externalId: "second-story",
      headline: "Ceasefire talks resume in Geneva",
    });
    expect(second.status).toBe(201);
    const edit = await server.admin("PATCH", `/admin/articles/${articleId}`, {
      headline: "US and Russia agree 'concrete steps' for Syria",
    });
    expect(edit.status).toBe(200);
    const changed = [
      "/",
      "/world",
      `/articles/${articleId}`,
      "/tags/syria",
      "/ap/feeds/world/outbox",
      `/ap/feeds/world/articles/${articleId}`,
    ];
    for (const route of documents.filter((route) => changed.includes(route.path))) {
      const after = await read(route, { "if-none-match": etags.get(route.path) ?? "" });
      expect(after.status, route.path).toBe(200);
      expect(after.headers.get("etag"), route.path).not.toBe(etags.get(route.path));
    }
  });
});
