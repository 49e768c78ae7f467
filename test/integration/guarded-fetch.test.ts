import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createAddressGuard,
  NonPublicAddressError,
  type Resolver,
} from "../../src/federation/address-guard.ts";
import { guardedDispatcher } from "../../src/federation/guarded-fetch.ts";

/**
 * Fedify's sender fetches with the global dispatcher, following redirects and resolving names
 * on its own; the guarded dispatcher judges every connection it opens, whoever asked for it.
 */
describe("the guarded fetch dispatcher", () => {
  let server: Server;
  let port: number;
  let hits = 0;
  beforeAll(async () => {
    server = createServer((req, res) => {
      hits++;
      if (req.url === "/close") {
        res.writeHead(202, { connection: "close" }).end("ok");
      } else if (req.url === "/redirect") {
        res.writeHead(307, { location: `http://127.0.0.1:${port}/inbox` }).end();
      } else res.writeHead(202).end("ok");
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  /** Names resolve as the test says. */
  const resolve: Resolver = async (hostname) => {
    if (hostname === "localhost" || hostname === "inbox.test" || /^h\d+\.test$/.test(hostname)) {
      return [{ address: "127.0.0.1", family: 4 }];
    }
    throw Object.assign(new Error(`ENOTFOUND ${hostname}`), { code: "ENOTFOUND" });
  };

  const refusal = async (url: string, dispatcher: ReturnType<typeof guardedDispatcher>) => {
    const error = await fetch(url, { dispatcher } as RequestInit).then(
      () => undefined,
      (failure: Error) => failure,
    );
    return error?.cause;
  };

  it("refuses loopback literals and names that resolve to loopback, before connecting", async () => {
    const dispatcher = guardedDispatcher(
      createAddressGuard({ allowPrivateAddress: false, resolve, cacheTtlMs: 0 }),
    );
    const before = hits;
    for (const url of [
      `http://127.0.0.1:${port}/inbox`,
      `http://[::ffff:127.0.0.1]:${port}/inbox`,
      `http://2130706433:${port}/inbox`,
      `http://inbox.test:${port}/inbox`,
    ]) {
      expect(await refusal(url, dispatcher)).toBeInstanceOf(NonPublicAddressError);
    }
    expect(hits).toBe(before);
  });

  it("connects, redirects included, when the guard allows it", async () => {
    const dispatcher = guardedDispatcher(
      createAddressGuard({ allowPrivateAddress: true, resolve, cacheTtlMs: 0 }),
    );
    const response = await fetch(`http://inbox.test:${port}/redirect`, {
      dispatcher,
    } as RequestInit);
    expect(response.status).toBe(202);
    expect(await response.text()).toBe("ok");
  });

  it("forgets origins: at most maxIdleOrigins idle pools, none once their connections closed", async () => {
    const dispatcher = guardedDispatcher(
      createAddressGuard({ allowPrivateAddress: true, resolve, cacheTtlMs: 0 }),
      { maxIdleOrigins: 4 },
    );
    // Kept alive: at each request, only the 4 most recently used idle origins keep a pool.
    for (let i = 0; i < 20; i++) {
      const response = await fetch(`http://h${i}.test:${port}/inbox`, {
        dispatcher,
      } as RequestInit);
      expect(await response.text()).toBe("ok");
      expect(dispatcher.origins).toBeLessThanOrEqual(5);
    }
    expect(dispatcher.origins).toBe(5); // the 4 idle ones left at the last request, and its own
    await dispatcher.close();
    // Connections the server closes: their pools go at once, however few origins there are.
    const closing = guardedDispatcher(
      createAddressGuard({ allowPrivateAddress: true, resolve, cacheTtlMs: 0 }),
      { maxIdleOrigins: 100 },
    );
    for (let i = 0; i < 10; i++) {
      const response = await fetch(`http://h${i}.test:${port}/close`, {
        dispatcher: closing,
      } as RequestInit);
      expect(await response.text()).toBe("ok");
    }
    await expect.poll(() => closing.origins, { timeout: 2_000 }).toBe(0);
    await closing.close();
  });
});
