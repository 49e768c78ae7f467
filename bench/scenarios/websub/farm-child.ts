/**
 * The subscribers, in their own process so that their CPU is not charged to the sender: N
 * loopback hosts (127.x.y.z, one HTTP server each on a shared port), each with a few callback
 * paths. Every POST's X-Hub-Signature is checked against the callback's secret, and a callback
 * counts as served once it has a correctly signed body holding the run's marker. Inbound
 * POSTs can be answered after a delay, like a slow subscriber. Driven over IPC.
 */
import { createHmac } from "node:crypto";
import { createServer, type Server } from "node:http";
import { freePort } from "../../../test/support/free-port.ts";
import { serveParent } from "../../harness/children.ts";
import type { Callback, FarmReady, FarmStats } from "./protocol.ts";

const servers: Server[] = [];
const secrets = new Map<string, string>();
let delayMs = 0;
let marker = "";
let served = new Set<string>();
let posts = 0;
let badSignatures = 0;
let firstAt: number | null = null;
let lastServedAt: number | null = null;
let bodyBytes = 0;
let expected = 0;
let waiters: (() => void)[] = [];

function nthAddress(first: string, n: number): string {
  const [a, b, c, d] = first.split(".").map(Number) as [number, number, number, number];
  const value = ((a << 24) | (b << 16) | (c << 8) | d) + n;
  return [value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255].join(".");
}

async function start(hosts: number, perHost: number, firstAddress: string): Promise<FarmReady> {
  const t0 = performance.now();
  const port = await freePort();
  const callbacks: Callback[] = [];
  for (let h = 0; h < hosts; h++) {
    const address = nthAddress(firstAddress, h);
    const server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on("data", (chunk: Buffer) => chunks.push(chunk));
      request.on("end", () => {
        const body = Buffer.concat(chunks);
        const url = `http://${address}:${port}${request.url ?? "/"}`;
        posts++;
        firstAt ??= Date.now();
        bodyBytes = body.byteLength;
        const secret = secrets.get(url);
        const signature = request.headers["x-hub-signature"];
        const good =
          secret !== undefined &&
          signature === `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
        if (!good) badSignatures++;
        const answer = () => {
          response.writeHead(204).end();
          if (good && marker && !served.has(url) && body.includes(marker)) {
            served.add(url);
            lastServedAt = Date.now();
            if (served.size >= expected) for (const wake of waiters.splice(0)) wake();
          }
        };
        if (delayMs > 0) setTimeout(answer, delayMs);
        else answer();
      });
    });
    server.keepAliveTimeout = 60_000;
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, address, resolve);
    });
    servers.push(server);
    for (let k = 0; k < perHost; k++) {
      const url = `http://${address}:${port}/cb/${k}`;
      const secret = `bench-secret-${h}-${k}`;
      secrets.set(url, secret);
      callbacks.push({ url, host: `${address}:${port}`, secret });
    }
  }
  return { callbacks, startupMs: performance.now() - t0 };
}

function stats(): FarmStats {
  return { posts, served: served.size, badSignatures, firstAt, lastServedAt, bodyBytes };
}

serveParent(async (message) => {
  switch (message.type) {
    case "start":
      return start(Number(message.hosts), Number(message.perHost), String(message.firstAddress));
    case "reset":
      delayMs = Number(message.delayMs);
      marker = String(message.marker);
      expected = Number(message.expected);
      served = new Set();
      posts = 0;
      badSignatures = 0;
      firstAt = null;
      lastServedAt = null;
      waiters = [];
      return {};
    case "waitAll": {
      const timeoutMs = Number(message.timeoutMs);
      if (served.size < expected) {
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(
            () => reject(new Error(`${served.size}/${expected} served in ${timeoutMs} ms`)),
            timeoutMs,
          );
          waiters.push(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
      return stats();
    }
    case "stats":
      return stats();
    default:
      throw new Error(`unknown request ${message.type}`);
  }
});

process.on("SIGTERM", () => {
  for (const server of servers) server.closeAllConnections();
  process.exit(0);
});
