import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { XMLValidator } from "fast-xml-parser";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_LIMITS } from "../../src/config.ts";
import { fixtureStoryPush } from "../support/fixture-push.ts";
import { freePort } from "../support/free-port.ts";
import {
  NPM_START_NODE_ARGS,
  type ServerProcess,
  startOnFreePort,
} from "../support/node-process.ts";

const TOKEN = "memory-limits-test-token-0123456789";
const ARTICLES = 50;

/**
 * The probe's crash: with the old defaults (1 MiB bodies, 50 items a feed) about 19 articles of
 * 900 KB in one feed exhausted the 192 MB heap `npm start` gives Node, and after a restart
 * every anonymous GET of the feed crashed it again. Now every combination of defaults fits.
 */
describe("50 maximum-size articles in one feed, on npm start's heap", () => {
  let dataDir: string;
  let server: ServerProcess | undefined;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "tidings-memory-"));
  });
  afterAll(async () => {
    server?.child.kill("SIGKILL");
    await rm(dataDir, { recursive: true, force: true });
  });

  it("runs the server with the same heap as npm start", () => {
    const pkg = JSON.parse(readFileSync(join(import.meta.dirname, "../../package.json"), "utf8"));
    for (const flag of NPM_START_NODE_ARGS) expect(pkg.scripts.start).toContain(flag);
  });

  it("takes them, refuses a bigger one, and serves every document within the limits", async () => {
    const started = await startOnFreePort(
      { DATA_DIR: dataDir, ADMIN_TOKEN: TOKEN, MALLOC_ARENA_MAX: "2" },
      freePort,
      NPM_START_NODE_ARGS,
    );
    server = started.server;
    const { url } = started;
    const push = (bodyHtml: string, externalId: string) =>
      fetch(`${url}/admin/articles`, {
        method: "POST",
        headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
        body: JSON.stringify({ ...fixtureStoryPush(), feeds: ["world"], externalId, bodyHtml }),
      });

    const oversized = await push(bodyOfSize(DEFAULT_LIMITS.articleMaxBytes + 4096), "too-big");
    expect(oversized.status).toBe(422);
    expect(((await oversized.json()) as { errors: { pointer: string }[] }).errors[0]?.pointer).toBe(
      "/bodyHtml",
    );

    for (let i = 0; i < ARTICLES; i++) {
      const response = await push(bodyOfSize(DEFAULT_LIMITS.articleMaxBytes - 2048), `big-${i}`);
      expect(response.status).toBe(201);
    }
    await expectFeedServed(url);
    expect(server.child.exitCode).toBeNull();

    // The probe's second crash: after a restart, the first anonymous reads render it afresh.
    server.child.kill("SIGTERM");
    expect(await server.exited).toBe(0);
    const restarted = await startOnFreePort(
      { DATA_DIR: dataDir, ADMIN_TOKEN: TOKEN, MALLOC_ARENA_MAX: "2" },
      freePort,
      NPM_START_NODE_ARGS,
    );
    server = restarted.server;
    await Promise.all([expectFeedServed(restarted.url), expectFeedServed(restarted.url)]);
    expect(server.child.exitCode).toBeNull();
    expect(server.output()).not.toMatch(/heap out of memory|ERROR/);
  });
});

/** About `bytes` of article HTML, from the fixture's paragraphs. */
function bodyOfSize(bytes: number): string {
  const paragraphs = fixtureStoryPush().bodyHtml.match(/<p>.*?<\/p>/gs) ?? ["<p>x</p>"];
  let body = "";
  for (let i = 0; body.length < bytes; i++) body += paragraphs[i % paragraphs.length];
  return body.slice(0, body.lastIndexOf("</p>", bytes) + 4);
}

async function expectFeedServed(url: string): Promise<void> {
  for (const format of ["rss", "atom", "json"] as const) {
    for (const encoding of ["identity", "gzip", "br"]) {
      const response = await fetch(`${url}/feeds/world.${format}`, {
        headers: { "accept-encoding": encoding },
      });
      expect(response.status).toBe(200);
      const text = await response.text();
      expect(Buffer.byteLength(text)).toBeLessThanOrEqual(DEFAULT_LIMITS.feedMaxBytes);
      if (format === "json") {
        const items = (JSON.parse(text) as { items: unknown[] }).items;
        expect(items).toHaveLength(ARTICLES);
      } else {
        expect(XMLValidator.validate(text)).toBe(true);
        expect(text.match(/Read the whole story/g)?.length ?? 0).toBeGreaterThan(ARTICLES / 2);
      }
    }
  }
  expect((await fetch(`${url}/healthz`)).status).toBe(200);
}
