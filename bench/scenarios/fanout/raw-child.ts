/**
 * The raw limit: the same POSTs Tidings makes, sent by the least code that can make them. Per
 * inbox: a JSON body, its SHA-256 digest, a draft-cavage signature (RSA-2048, node:crypto
 * `sign`) over (request-target) host date digest content-type, and a POST over a keep-alive
 * node:http Agent, `concurrency` at a time. Runs in its own process so its CPU is its own.
 */
import { createHash, createPrivateKey, sign } from "node:crypto";
import http from "node:http";
import { serveParent } from "../../harness/children.ts";
import type { RawRunRequest, RawRunResult } from "./protocol.ts";

const newAgent = () => new http.Agent({ keepAlive: true, maxSockets: 8 });
// Kept across runs, so a warm run finds its connections open (as Tidings' warm runs do).
let agent = newAgent();
const ID_PLACEHOLDER = "\u0000raw-activity-id\u0000";

function post(url: URL, headers: Record<string, string>, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: "POST",
        agent,
        headers,
        timeout: 30_000,
      },
      (response) => {
        response.resume();
        response.once("end", () => resolve(response.statusCode ?? 0));
        response.once("error", reject);
      },
    );
    request.once("timeout", () => request.destroy(new Error("timeout")));
    request.once("error", reject);
    request.end(body);
  });
}

async function run(request: RawRunRequest): Promise<RawRunResult> {
  if (request.freshConnections) {
    agent.destroy();
    agent = newAgent();
  }
  const privateKey = createPrivateKey(request.signer.privateKeyPem);
  const template = JSON.parse(request.body) as Record<string, unknown>;
  template.id = ID_PLACEHOLDER;
  template.actor = request.signer.actorId;
  const [before, after] = JSON.stringify(template).split(JSON.stringify(ID_PLACEHOLDER));
  const targets = request.targets.map((target) => new URL(target));
  const statuses: Record<string, number> = {};
  let next = 0;
  let ok = 0;
  let failed = 0;
  let bodyBytes = 0;

  const worker = async () => {
    while (next < targets.length) {
      const i = next++;
      const url = targets[i] as URL;
      const body = `${before}${JSON.stringify(`${request.signer.actorId}/raw/${request.label}/${i}`)}${after}`;
      bodyBytes = Buffer.byteLength(body);
      const date = new Date().toUTCString();
      const digest = `SHA-256=${createHash("sha256").update(body).digest("base64")}`;
      const contentType = "application/activity+json";
      const signingString =
        `(request-target): post ${url.pathname}\nhost: ${url.host}\ndate: ${date}\n` +
        `digest: ${digest}\ncontent-type: ${contentType}`;
      const signature = sign("sha256", Buffer.from(signingString), privateKey).toString("base64");
      try {
        const status = await post(
          url,
          {
            host: url.host,
            date,
            digest,
            "content-type": contentType,
            "content-length": String(bodyBytes),
            signature:
              `keyId="${request.signer.keyId}",algorithm="rsa-sha256",` +
              `headers="(request-target) host date digest content-type",signature="${signature}"`,
          },
          body,
        );
        statuses[status] = (statuses[status] ?? 0) + 1;
        if (status >= 200 && status < 300) ok++;
        else failed++;
      } catch (error) {
        const key = error instanceof Error ? error.message : String(error);
        statuses[key] = (statuses[key] ?? 0) + 1;
        failed++;
      }
    }
  };

  const t0 = performance.now();
  await Promise.all(Array.from({ length: Math.max(1, request.concurrency) }, worker));
  return {
    sent: targets.length,
    ok,
    failed,
    statuses,
    elapsedMs: performance.now() - t0,
    bodyBytes,
  };
}

serveParent(async (message) => {
  if (message.type === "run") return { ...(await run(message as unknown as RawRunRequest)) };
  throw new Error(`unknown request ${message.type}`);
});

process.on("SIGTERM", () => {
  agent.destroy();
  process.exit(0);
});
