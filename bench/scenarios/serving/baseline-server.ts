/**
 * Baseline servers for the framework-overhead comparison, run as a child process
 * (`node --import tsx bench/scenarios/serving/baseline-server.ts KIND DIR PORT`) so each gets its own event loop
 * like Tidings does. They serve `/feeds/world.rss` from the bytes Tidings served (written to DIR
 * by the bench), choosing the coding with Tidings' own `chooseCoding`, with the same headers:
 *
 * - `node`: a bare `node:http` handler, the floor for Node itself;
 * - `hono`: Hono + @hono/node-server with one route calling Tidings' `serveDocument`, i.e.
 *   Tidings' hot path without the rest of the application (other routes, the cache lookup);
 * - `app`: Tidings' real `createApp` (every route and middleware) on @hono/node-server, with
 *   stub services and a document cache that always holds these bytes: no database, no pool,
 *   no federation runtime. Tidings minus `app` is what the running process adds.
 */
import { readFileSync } from "node:fs";
import http from "node:http";
import path from "node:path";
import { serve } from "@hono/node-server";
import { Hono } from "hono";
import type { AppDeps } from "../../../src/app.ts";
import { serveDocument } from "../../../src/http/feed-documents.routes.ts";
import {
  chooseCoding,
  FEED_DOCUMENT_SECURITY_HEADERS,
} from "../../../src/syndication/document-answer.ts";
import type { EncodedDocument } from "../../../src/syndication/encoded-document.ts";
import type { ServedFeed } from "./measure.ts";

const [kind, dir, portText] = process.argv.slice(2);
if ((kind !== "node" && kind !== "hono" && kind !== "app") || !dir || !portText) {
  console.error("usage: baseline-server.ts node|hono|app DIR PORT");
  process.exit(2);
}
const port = Number(portText);
const meta = JSON.parse(
  readFileSync(path.join(dir, "world.rss.meta.json"), "utf8"),
) as ServedFeed["meta"];
const read = (name: string) => new Uint8Array(readFileSync(path.join(dir, name)));
const identity = read("world.rss");
const gzip = read("world.rss.gz");
const brotli = read("world.rss.br");

if (kind === "node") {
  const server = http.createServer((request, response) => {
    if (request.url !== "/feeds/world.rss") {
      response.writeHead(404, { "content-length": "0" }).end();
      return;
    }
    const coding = chooseCoding(request.headers["accept-encoding"] ?? null);
    const body = coding === "br" ? brotli : coding === "gzip" ? gzip : identity;
    const headers: Record<string, string> = {
      "content-type": meta.contentType,
      etag: meta.etag,
      "last-modified": meta.lastModified,
      "cache-control": meta.cacheControl,
      vary: "Accept-Encoding",
      ...FEED_DOCUMENT_SECURITY_HEADERS,
      "content-length": String(body.byteLength),
    };
    if (coding !== "identity") headers["content-encoding"] = coding;
    response.writeHead(200, headers);
    response.end(body);
  });
  server.listen(port, "127.0.0.1");
  process.on("SIGTERM", () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  });
} else {
  const document: EncodedDocument = {
    identity,
    gzip,
    brotli,
    etag: meta.etag,
    lastModified: meta.lastModified,
    lastModifiedMs: Date.parse(meta.lastModified),
    contentType: meta.contentType,
  };
  let app: Hono;
  if (kind === "hono") {
    app = new Hono();
    app.get("/feeds/:file", (c) => serveDocument(c.req.raw, document));
  } else {
    // Loaded only here, so the other baselines do not carry the application's modules.
    const { createApp } = await import("../../../src/app.ts");
    const { silentLogger } = await import("../../../src/logger.ts");
    const unused = new Proxy(
      {},
      {
        get: () => () => {
          throw new Error("not available in the bench's app baseline");
        },
      },
    );
    const feedDocuments = {
      peek: (slug: string, format: string) =>
        slug === "world" && format === "rss" ? document : null,
      get: async (slug: string, format: string) =>
        slug === "world" && format === "rss" ? document : null,
    };
    app = createApp({
      publicUrl: `http://127.0.0.1:${port}`,
      siteName: "Tidings bench",
      adminToken: undefined,
      maxBodyBytes: 1024 * 1024,
      articles: unused as AppDeps["articles"],
      feeds: unused as AppDeps["feeds"],
      feedDocuments: feedDocuments as unknown as AppDeps["feedDocuments"],
      clock: { now: () => new Date() },
      logger: silentLogger,
      checkDatabase: async () => {},
    });
  }
  const server = serve({ fetch: app.fetch, port, hostname: "127.0.0.1" });
  process.on("SIGTERM", () => {
    server.close(() => process.exit(0));
    if ("closeAllConnections" in server) server.closeAllConnections();
  });
}
