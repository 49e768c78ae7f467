import { mkdtemp, rm } from "node:fs/promises";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fixtureStoryPush } from "../support/fixture-push.ts";
import { freePort } from "../support/free-port.ts";
import { parseScrape } from "../support/metrics-text.ts";
import { startProcess as start, startOnFreePort } from "../support/node-process.ts";

const TOKEN = "node-server-test-token-0123456789";

describe("the Node server on the embedded database", () => {
  let dataDir: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "tidings-node-"));
    env = { DATA_DIR: dataDir, ADMIN_TOKEN: TOKEN };
  });
  afterAll(() => rm(dataDir, { recursive: true, force: true }));

  it("serves both example feeds, takes a push, and keeps it across a restart", async () => {
    const { server: first, url } = await startOnFreePort(env, freePort);
    try {
      for (const slug of ["world", "us-russia-syria"]) {
        expect((await fetch(`${url}/feeds/${slug}.atom`)).status).toBe(200);
      }
      const push = await fetch(`${url}/admin/articles`, {
        method: "POST",
        headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
        body: JSON.stringify(fixtureStoryPush()),
      });
      expect(push.status).toBe(201);

      // Uploads the client gives up on cost one quiet line each, not an error with a stack.
      for (const path of ["/admin/articles", "/ap/inbox"]) await abortUpload(url, path);
      const deadline = Date.now() + 10_000;
      while ((first.output().match(/request aborted by the client/g) ?? []).length < 2) {
        if (Date.now() > deadline) throw new Error(`no abort logged:\n${first.output()}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(first.output()).not.toMatch(/ERROR|"stack"/);
    } finally {
      first.child.kill("SIGTERM");
    }
    expect(await first.exited).toBe(0);
    expect(first.output()).toMatch(/SIGTERM/);

    // The same data directory, so the same database; the port may differ.
    const restarted = await startOnFreePort(env, freePort);
    const second = restarted.server;
    try {
      for (const slug of ["world", "us-russia-syria"]) {
        for (const format of ["rss", "atom", "json"]) {
          const body = await (await fetch(`${restarted.url}/feeds/${slug}.${format}`)).text();
          expect(body).toContain("US and Russia plan");
        }
      }
    } finally {
      second.child.kill("SIGTERM");
      await second.exited;
    }
  });

  it("serves metrics on METRICS_PORT only, counting the fast path's answers too", async () => {
    const metricsPort = await freePort();
    const { server, url } = await startOnFreePort(
      { ...env, METRICS_PORT: String(metricsPort) },
      freePort,
    );
    try {
      for (let i = 0; i < 3; i++) expect((await fetch(`${url}/feeds/world.rss`)).status).toBe(200);
      // Not on the app's port without METRICS_TOKEN.
      expect(
        (await fetch(`${url}/metrics`, { headers: { accept: "application/json" } })).status,
      ).toBe(404);
      const response = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
      expect(response.status).toBe(200);
      const metrics = parseScrape(await response.text());
      const route = { method: "GET", route: "/feeds/:file", status: "200" };
      expect(metrics.value("tidings_http_requests_total", route)).toBe(3);
      // Warm answers came from the fast path: counted, not timed.
      expect(
        metrics.value("tidings_http_request_duration_seconds_count", { route: "/feeds/:file" }),
      ).toBeLessThan(3);
      expect(metrics.value("tidings_followers", { feed: "world" })).toBe(0);
      expect(metrics.value("tidings_metrics_database_up")).toBe(1);
    } finally {
      server.child.kill("SIGTERM");
    }
    expect(await server.exited).toBe(0);
  });

  it("starts without ADMIN_TOKEN, refuses the admin API and says how to set one", async () => {
    const { server: started, url } = await startOnFreePort({ ...env, ADMIN_TOKEN: "" }, freePort);
    try {
      const response = await fetch(`${url}/admin/feeds`, {
        headers: { authorization: "Bearer anything-at-all-123" },
      });
      expect(response.status).toBe(401);
      expect(started.output()).toMatch(/ADMIN_TOKEN is not set.*openssl rand -hex 32/);
    } finally {
      started.child.kill("SIGTERM");
      await started.exited;
    }
  });

  it("refuses to start with bad configuration, listing every problem", async () => {
    const started = start({ ...env, PORT: "nope", FEED_ITEM_LIMIT: "-1" });
    expect(await started.exited).toBe(1);
    expect(started.output()).toMatch(/PORT: /);
    expect(started.output()).toMatch(/FEED_ITEM_LIMIT: /);
  });

  it("refuses to start with an invalid feed definition, naming file and field", async () => {
    const feedsDir = await mkdtemp(join(tmpdir(), "tidings-feeds-"));
    try {
      const { writeFile } = await import("node:fs/promises");
      await writeFile(join(feedsDir, "sport.json"), '{"slug": "sport", "title": 7}');
      const started = start({ ...env, FEEDS_DIR: feedsDir });
      expect(await started.exited).toBe(1);
      expect(started.output()).toMatch(/sport\.json: title: /);
    } finally {
      await rm(feedsDir, { recursive: true, force: true });
    }
  });
});

/**
 * Starts a POST that promises 100 kB, sends a few bytes, then closes the connection. It asks for
 * `100 Continue`: Node sends that as it hands the request to the app, so once it arrives the
 * route is running and will be reading a body that never comes (no timer to guess when).
 */
async function abortUpload(url: string, path: string): Promise<void> {
  const { port, hostname } = new URL(url);
  const socket = connect(Number(port), hostname);
  await new Promise<void>((resolve) => socket.once("connect", resolve));
  const continued = new Promise<void>((resolve, reject) => {
    let received = "";
    socket.on("data", (chunk: Buffer) => {
      received += chunk.toString("latin1");
      if (received.startsWith("HTTP/1.1 100 ")) resolve();
      else if (/^HTTP\/1\.1 [^1]/.test(received)) reject(new Error(`answered: ${received}`));
    });
    socket.once("error", reject);
  });
  socket.write(
    `POST ${path} HTTP/1.1\r\nHost: ${hostname}\r\nAuthorization: Bearer ${TOKEN}\r\n` +
      'Signature: keyId="x"\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n' +
      'Expect: 100-continue\r\n\r\n{"a":',
  );
  await continued;
  socket.destroy();
}
