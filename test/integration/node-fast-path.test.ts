import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { gunzipSync } from "node:zlib";
import { getRequestListener } from "@hono/node-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { withFeedFastPath } from "../../src/entries/node/feed-fast-path.ts";
import { createTestApp, type TestApp } from "../support/test-app.ts";

/** The Node fast path must answer exactly as the app's own route does, over a real socket. */
describe("the Node fast path for feed documents", () => {
  let t: TestApp;
  let server: Server;
  let base: string;
  let appCalls = 0;

  beforeAll(async () => {
    t = await createTestApp("pglite");
    const app = getRequestListener(t.app.fetch);
    server = createServer(
      withFeedFastPath(t.deps.feedDocuments, (req, res) => {
        appCalls++;
        app(req, res);
      }),
    );
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    await t.admin("POST", "/admin/articles", {
      headline: "Fast path",
      bodyHtml: "<p>Text</p>",
      feeds: ["world"],
    });
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    await t.destroy();
  });

  it("serves a warm feed without the app, with the same bytes and headers", async () => {
    const cold = await fetch(`${base}/feeds/world.atom`); // builds the documents through the app
    const coldBody = await cold.text();
    const callsAfterCold = appCalls;
    const warm = await fetch(`${base}/feeds/world.atom?utm=x`);
    expect(appCalls).toBe(callsAfterCold);
    expect(warm.status).toBe(200);
    expect(await warm.text()).toBe(coldBody);
    const names = ["content-type", "etag", "last-modified", "cache-control", "vary"];
    for (const name of [...names, "x-content-type-options", "content-security-policy"]) {
      expect(warm.headers.get(name)).toBe(cold.headers.get(name));
    }
  });

  it("answers conditional requests with 304 and compresses on request", async () => {
    const first = await fetch(`${base}/feeds/world.rss`);
    const etag = first.headers.get("etag") ?? "";
    const plain = Buffer.from(await first.arrayBuffer());
    const revalidated = await fetch(`${base}/feeds/world.rss`, {
      headers: { "if-none-match": etag },
    });
    expect(revalidated.status).toBe(304);
    // node's fetch decompresses by itself: ask for raw bytes through a plain request instead.
    const { request } = await import("node:http");
    const gzipped = await new Promise<Buffer>((resolve, reject) => {
      request(`${base}/feeds/world.rss`, { headers: { "accept-encoding": "gzip" } }, (res) => {
        expect(res.headers["content-encoding"]).toBe("gzip");
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => resolve(Buffer.concat(chunks)));
      })
        .on("error", reject)
        .end();
    });
    expect(gunzipSync(gzipped)).toEqual(plain);
  });

  it("leaves unknown feeds and other paths to the app", async () => {
    const before = appCalls;
    expect((await fetch(`${base}/feeds/nowhere.rss`)).status).toBe(404);
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect(appCalls).toBe(before + 2);
  });
});

/** Warm article pages too (the preview stampede): the same answer as the route, without it. */
describe("the Node fast path for article pages", () => {
  let t: TestApp;
  let server: Server;
  let base: string;
  let appCalls = 0;
  let articleId = "";

  beforeAll(async () => {
    t = await createTestApp("pglite");
    const app = getRequestListener(t.app.fetch);
    server = createServer(
      withFeedFastPath(
        t.deps.feedDocuments,
        (req, res) => {
          appCalls++;
          app(req, res);
        },
        undefined,
        t.deps.articlePages,
      ),
    );
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const pushed = await t.admin("POST", "/admin/articles", {
      headline: "Fast page",
      bodyHtml: "<p>Text</p>",
      feeds: ["world"],
    });
    articleId = ((await pushed.json()) as { id: string }).id;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    await t.destroy();
  });

  it("serves a warm page without the app, with the same bytes and headers, 304 too", async () => {
    const html = { accept: "text/html" };
    const cold = await fetch(`${base}/articles/${articleId}`, { headers: html });
    const coldBody = await cold.text();
    const callsAfterCold = appCalls;
    const warm = await fetch(`${base}/articles/${articleId}?utm=x`, { headers: html });
    expect(appCalls).toBe(callsAfterCold);
    expect(warm.status).toBe(200);
    expect(await warm.text()).toBe(coldBody);
    const names = ["content-type", "etag", "cache-control", "vary", "content-security-policy"];
    for (const name of [...names, "x-content-type-options", "referrer-policy"]) {
      expect(warm.headers.get(name)).toBe(cold.headers.get(name));
    }
    const revalidated = await fetch(`${base}/articles/${articleId}`, {
      headers: { ...html, "if-none-match": cold.headers.get("etag") ?? "" },
    });
    expect(revalidated.status).toBe(304);
    expect(appCalls).toBe(callsAfterCold);
  });

  it("answers the fetches that arrive while a new story's page is built without the app", async () => {
    const pushed = await t.admin("POST", "/admin/articles", {
      headline: "Stampede page",
      bodyHtml: "<p>Preview me</p>",
      feeds: ["world"],
    });
    const { id } = (await pushed.json()) as { id: string };
    // The publish started the page's build; these join it (or find it done), never the app.
    const before = appCalls;
    const pages = await Promise.all(
      Array.from({ length: 20 }, () =>
        fetch(`${base}/articles/${id}`, { headers: { accept: "text/html" } }),
      ),
    );
    expect(pages.map((page) => page.status)).toEqual(pages.map(() => 200));
    const bodies = new Set(await Promise.all(pages.map((page) => page.text())));
    expect(bodies.size).toBe(1);
    expect([...bodies][0]).toContain("Stampede page");
    expect(appCalls).toBe(before);
  });

  it("leaves ActivityPub clients, the history and a changed page to the app", async () => {
    await fetch(`${base}/articles/${articleId}`);
    const before = appCalls;
    await fetch(`${base}/articles/${articleId}`, {
      headers: { accept: "application/activity+json" },
    });
    expect((await fetch(`${base}/articles/${articleId}/history`)).status).toBe(200);
    expect(appCalls).toBe(before + 2);
    const patched = await t.admin("PATCH", `/admin/articles/${articleId}`, {
      headline: "Fast page, revised",
    });
    expect(patched.status).toBe(200);
    const after = await fetch(`${base}/articles/${articleId}`, {
      headers: { accept: "text/html" },
    });
    expect(await after.text()).toContain("Fast page, revised");
    expect(appCalls).toBe(before + 3);
  });
});
