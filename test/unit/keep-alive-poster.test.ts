import { createServer, type Server } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { createAddressGuard } from "../../src/federation/address-guard.ts";
import { KeepAlivePoster } from "../../src/federation/keep-alive-poster.ts";
import { deferred } from "../support/deferred.ts";

/** A loopback inbox that answers 202 after `delayMs`, and tells when each connection closes. */
async function startInbox(delayMs = 0) {
  const closed: Socket[] = [];
  const connections: Socket[] = [];
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on("end", () => setTimeout(() => res.writeHead(202).end(), delayMs));
  });
  // Keeps connections open far longer than the poster's idle limit: the poster must close them.
  server.keepAliveTimeout = 60_000;
  server.on("connection", (socket: Socket) => {
    connections.push(socket);
    socket.on("close", () => closed.push(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/inbox`);
  return {
    url,
    connections,
    closed,
    stop: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}

const guard = createAddressGuard({ allowPrivateAddress: true });
const body = new TextEncoder().encode('{"type":"Create"}');
const headers = { "content-type": "application/activity+json" };

describe("KeepAlivePoster", () => {
  const cleanups: (() => unknown)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });

  it("reuses a connection while it is busy, and closes it once idle past the limit", async () => {
    const inbox = await startInbox();
    cleanups.push(inbox.stop);
    const poster = new KeepAlivePoster({ guard, timeoutMs: 5_000, idleSocketMs: 150 });
    cleanups.push(() => poster.close());
    for (let i = 0; i < 5; i++) expect(await poster.post(inbox.url, headers, body)).toBe(202);
    expect(inbox.connections).toHaveLength(1);
    const gone = deferred();
    inbox.connections[0]?.once("close", () => gone.resolve());
    // Bounded: the idle limit is 150 ms; the server alone would keep it for a minute.
    await Promise.race([
      gone.promise,
      new Promise((_, reject) => setTimeout(() => reject(new Error("still open")), 3_000)),
    ]);
    expect(inbox.closed).toHaveLength(1);
    // The next POST opens a fresh connection and succeeds.
    expect(await poster.post(inbox.url, headers, body)).toBe(202);
    expect(inbox.connections).toHaveLength(2);
  });

  it("does not cut an answer that takes longer than the idle limit", async () => {
    const inbox = await startInbox(400);
    cleanups.push(inbox.stop);
    const poster = new KeepAlivePoster({ guard, timeoutMs: 5_000, idleSocketMs: 100 });
    cleanups.push(() => poster.close());
    expect(await poster.post(inbox.url, headers, body)).toBe(202);
    expect(inbox.connections).toHaveLength(1);
  });
});
