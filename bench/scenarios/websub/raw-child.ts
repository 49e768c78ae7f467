/**
 * The raw loop: what Tidings' delivery jobs do, by the least code that can do it. Per callback:
 * HMAC-SHA256 of the same document bytes with the callback's secret, and a POST with the same
 * headers over a keep-alive node:http Agent, `concurrency` at a time. No database, no queue. A
 * "fresh" run opens its connections on its own Agent (as a push does), a "kept" run reuses those
 * of the kept runs before it.
 * Runs in its own process so that its CPU is its own.
 */
import { createHmac } from "node:crypto";
import http from "node:http";
import { serveParent } from "../../harness/children.ts";
import type { RawRunRequest, RawRunResult } from "./protocol.ts";

const newAgent = () => new http.Agent({ keepAlive: true, maxSockets: 8 });
const keptAgent = newAgent();

function post(
  agent: http.Agent,
  url: URL,
  headers: Record<string, string>,
  body: Buffer,
): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      { host: url.hostname, port: url.port, path: url.pathname, method: "POST", agent, headers },
      (response) => {
        response.resume();
        response.once("end", () => resolve(response.statusCode ?? 0));
        response.once("error", reject);
      },
    );
    request.setTimeout(30_000, () => request.destroy(new Error("timeout")));
    request.once("error", reject);
    request.end(body);
  });
}

async function run(request: RawRunRequest): Promise<RawRunResult> {
  const body = Buffer.from(request.body, "base64");
  const agent = request.connections === "fresh" ? newAgent() : keptAgent;
  const statuses: Record<string, number> = {};
  let next = 0;
  let ok = 0;
  const worker = async () => {
    while (next < request.callbacks.length) {
      const callback = request.callbacks[next++];
      if (!callback) break;
      const signature = createHmac("sha256", callback.secret).update(body).digest("hex");
      try {
        const status = await post(
          agent,
          new URL(callback.url),
          {
            "content-type": request.contentType,
            "content-length": String(body.byteLength),
            link: request.link,
            "x-hub-signature": `sha256=${signature}`,
          },
          body,
        );
        statuses[status] = (statuses[status] ?? 0) + 1;
        if (status >= 200 && status < 300) ok++;
      } catch (error) {
        const key = error instanceof Error ? error.message : String(error);
        statuses[key] = (statuses[key] ?? 0) + 1;
      }
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: Math.max(1, request.concurrency) }, worker));
  const elapsedMs = performance.now() - t0;
  if (agent !== keptAgent) agent.destroy();
  return { sent: request.callbacks.length, ok, statuses, elapsedMs };
}

serveParent(async (message) => {
  if (message.type === "run") return { ...(await run(message as unknown as RawRunRequest)) };
  throw new Error(`unknown request ${message.type}`);
});

process.on("SIGTERM", () => {
  keptAgent.destroy();
  process.exit(0);
});
