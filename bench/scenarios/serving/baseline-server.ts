/**
 * Node's own limit for serving a feed: a bare `node:http` handler, run as a child process
 * (`node --import tsx bench/scenarios/serving/baseline-server.ts DIR PORT`) with its own event
 * loop, as Tidings has. It serves `/feeds/world.rss` from the bytes Tidings served (written to DIR
 * by the bench), choosing the coding with Tidings' own `chooseCoding`, with the same headers
 * (Tidings' `Vary` and WebSub `Link` included), built per request as a plain handler would.
 * Tidings over this is what Hono, the routes and the cache lookup cost.
 */
import { readFileSync } from "node:fs";
import http from "node:http";
import path from "node:path";
import {
  chooseCoding,
  FEED_DOCUMENT_SECURITY_HEADERS,
} from "../../../src/syndication/document-answer.ts";
import type { ServedFeed } from "./measure.ts";

const [dir, portText] = process.argv.slice(2);
if (!dir || !portText) {
  console.error("usage: baseline-server.ts DIR PORT");
  process.exit(2);
}
const meta = JSON.parse(
  readFileSync(path.join(dir, "world.rss.meta.json"), "utf8"),
) as ServedFeed["meta"];
const read = (name: string) => new Uint8Array(readFileSync(path.join(dir, name)));
const bodies = {
  identity: read("world.rss"),
  gzip: read("world.rss.gz"),
  br: read("world.rss.br"),
};

const server = http.createServer((request, response) => {
  if (request.url !== "/feeds/world.rss") {
    response.writeHead(404, { "content-length": "0" }).end();
    return;
  }
  const coding = chooseCoding(request.headers["accept-encoding"] ?? null);
  const body = bodies[coding];
  const headers: Record<string, string> = {
    "content-type": meta.contentType,
    etag: meta.etag,
    "last-modified": meta.lastModified,
    "cache-control": meta.cacheControl,
    vary: meta.vary,
    ...FEED_DOCUMENT_SECURITY_HEADERS,
    ...(meta.link ? { link: meta.link } : {}),
    "content-length": String(body.byteLength),
  };
  if (coding !== "identity") headers["content-encoding"] = coding;
  response.writeHead(200, headers);
  response.end(body);
});
server.listen(Number(portText), "127.0.0.1");
process.on("SIGTERM", () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
});
