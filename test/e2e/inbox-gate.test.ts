import { createServer, request as httpRequest, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_LIMITS } from "../../src/config.ts";
import { type FederatedServer, startFederatedServer } from "../support/federated-server.ts";
import {
  activity,
  type PeerServer,
  postSigned,
  postSignedBody,
  startPeerServer,
} from "../support/fediverse-peer.ts";

/**
 * The inbox is open to the whole internet, so what an anonymous POST can cost is bounded before
 * Fedify parses anything: the body is capped while it streams (413), and an unsigned or badly
 * signed request is refused (401) without reading its JSON or fetching its `@context`.
 */
describe("the inbox gate", () => {
  let server: FederatedServer;
  let peer: PeerServer;
  /** Counts requests for JSON-LD contexts an attacker names: the gate must cause none. */
  let contexts: { server: Server; origin: string; hits: number };

  beforeAll(async () => {
    server = await startFederatedServer("postgres");
    peer = await startPeerServer({ host: "127.0.0.1", actors: ["alice"] });
    const counter = { hits: 0 };
    const contextServer = createServer((req, res) => {
      counter.hits++;
      if (req.url === "/missing") return void res.writeHead(404).end();
      res.writeHead(200, { "content-type": "application/ld+json" });
      res.end('{"@context": {"x": "https://unknown.example/x#"}}');
    });
    await new Promise<void>((resolve) => contextServer.listen(0, "127.0.0.1", resolve));
    const { port } = contextServer.address() as AddressInfo;
    contexts = {
      server: contextServer,
      origin: `http://127.0.0.1:${port}`,
      get hits() {
        return counter.hits;
      },
    };
  });
  afterAll(async () => {
    await new Promise((resolve) => contexts?.server.close(resolve));
    await peer?.close();
    await server?.close();
  });

  const sharedInbox = () => `${server.url}/ap/inbox`;
  const feedInbox = () => `${server.url}/ap/feeds/world/inbox`;

  it("answers a 2 MB unsigned POST with 413 at once, while /healthz keeps answering", async () => {
    for (const chunked of [false, true]) {
      const started = performance.now();
      const [posted, health] = await Promise.all([
        rawPost(sharedInbox(), 2 * 1024 * 1024, { chunked }),
        (async () => {
          const t = performance.now();
          const response = await fetch(`${server.url}/healthz`);
          return { status: response.status, ms: performance.now() - t };
        })(),
      ]);
      expect(posted.status).toBe(413);
      expect(posted.contentType).toBe("application/problem+json");
      expect(JSON.parse(posted.body)).toMatchObject({
        status: 413,
        maxBytes: DEFAULT_LIMITS.inboxMaxBodyBytes,
      });
      expect(health.status).toBe(200);
      // Before the gate, 1 MB held the event loop ~3 s and 2 MB exhausted the heap.
      expect(health.ms).toBeLessThan(1_000);
      expect(performance.now() - started).toBeLessThan(2_000);
    }
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  });

  it("refuses an unsigned activity with 401 without fetching its unknown @context", async () => {
    const before = contexts.hits;
    const response = await fetch(feedInbox(), {
      method: "POST",
      headers: { "content-type": "application/activity+json" },
      body: JSON.stringify({
        "@context": [`${contexts.origin}/never-fetched`, "https://www.w3.org/ns/activitystreams"],
        type: "Create",
        id: "https://attacker.example/1",
        actor: "https://attacker.example/users/mallory",
      }),
    });
    expect(response.status).toBe(401);
    expect(response.headers.get("content-type")).toBe("application/problem+json");
    expect(contexts.hits).toBe(before);
  });

  it("refuses a signature that does not cover the body it came with", async () => {
    const follow = activity(peer.actor("alice"), "Follow", `${server.url}/ap/feeds/world`);
    const response = await postSigned(feedInbox(), follow, {
      actor: peer.actor("alice"),
      // A digest of another body: the signature holds, the body does not match it.
      headers: { digest: `SHA-256=${Buffer.alloc(32).toString("base64")}` },
    });
    expect(response.status).toBe(401);
  });

  it("still lets a signed Follow through", async () => {
    const follow = activity(peer.actor("alice"), "Follow", `${server.url}/ap/feeds/world`);
    const response = await postSigned(feedInbox(), follow, { actor: peer.actor("alice") });
    expect(response.status).toBe(202);
    await server.settle();
    const accept = await peer.waitFor(
      (received) => received.type === "Accept" && received.actor === `${server.url}/ap/feeds/world`,
    );
    expect(accept.recipient).toBe("alice");
  });

  it("answers any body, signed or not, without a 5xx, and keeps serving (property)", async () => {
    const body = fc.oneof(
      // Sizes around the cap.
      fc
        .integer({ min: 0, max: 2 * DEFAULT_LIMITS.inboxMaxBodyBytes })
        .map((size) => JSON.stringify({ type: "Note", content: "x".repeat(size) })),
      // Deep nesting of arrays and objects.
      fc
        .tuple(fc.integer({ min: 1, max: 100_000 }), fc.boolean())
        .map(([depth, arrays]) =>
          arrays
            ? `${"[".repeat(depth)}${"]".repeat(depth)}`
            : `${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`,
        ),
      // Unknown and hostile contexts.
      fc
        .constantFrom(
          `${contexts.origin}/known`,
          `${contexts.origin}/missing`,
          "http://127.0.0.1:9/closed-port",
          "https://unknown.invalid/context",
        )
        .map((context) =>
          JSON.stringify({
            "@context": [context, "https://www.w3.org/ns/activitystreams"],
            id: `${peer.actor("alice").id}/activities/${encodeURIComponent(context)}`,
            type: "Like",
            actor: peer.actor("alice").id,
            object: `${server.url}/ap/feeds/world/articles/00000000-0000-7000-8000-000000000000`,
          }),
        ),
      // Not JSON at all.
      fc.string({ maxLength: 2_000 }),
    );
    await fc.assert(
      fc.asyncProperty(body, fc.boolean(), async (text, signed) => {
        const bytes = Buffer.byteLength(text);
        const fetchedBefore = contexts.hits;
        const response = signed
          ? await postSignedBody(sharedInbox(), text, { actor: peer.actor("alice") })
          : await fetch(sharedInbox(), {
              method: "POST",
              headers: { "content-type": "application/activity+json" },
              body: text,
            });
        await response.arrayBuffer();
        if (bytes > DEFAULT_LIMITS.inboxMaxBodyBytes) expect(response.status).toBe(413);
        else if (!signed) expect(response.status).toBe(401);
        else expect(response.status).toBeLessThan(500);
        // Nothing a request names is fetched unless its signature holds.
        if (!signed) expect(contexts.hits).toBe(fetchedBefore);
      }),
      { numRuns: 100 },
    );
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  });
});

/**
 * POSTs `size` bytes of JSON-ish filler with node:http, reading the answer even if the server
 * answers (and stops reading) before the upload is done.
 */
function rawPost(
  url: string,
  size: number,
  options: { chunked: boolean },
): Promise<{ status: number; contentType: string | undefined; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, {
      method: "POST",
      headers: {
        "content-type": "application/activity+json",
        ...(options.chunked ? {} : { "content-length": String(size) }),
      },
    });
    req.on("response", (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () =>
        resolve({
          status: res.statusCode ?? 0,
          contentType: res.headers["content-type"],
          body: Buffer.concat(chunks).toString("utf8"),
        }),
      );
    });
    // The server may close the connection mid-upload once it has answered.
    req.on("error", (error) => (req.destroyed ? undefined : reject(error)));
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    let sent = 0;
    const pump = () => {
      while (sent < size) {
        sent += chunk.length;
        if (!req.write(chunk)) return void req.once("drain", pump);
      }
      req.end();
    };
    pump();
  });
}
