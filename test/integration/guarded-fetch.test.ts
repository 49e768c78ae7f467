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
      if (req.url === "/redirect") {
        res.writeHead(307, { location: `http://127.0.0.1:${port}/inbox` }).end();
      } else res.writeHead(202).end("ok");
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  /** Names resolve as the test says. */
  const resolve: Resolver = async (hostname) => {
    if (hostname === "localhost" || hostname === "inbox.test") {
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
});
