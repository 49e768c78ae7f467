/**
 * A crowd of fediverse servers in one process: on the parent's word, `count` GETs of one URL at
 * once, each on a fresh connection (`Connection: close`, no agent), as that many servers fetching
 * a preview card would. Answers each request's time (send to last byte), status and ETag, and the
 * burst's start and end on the wall clock, so that the parent can merge several children's.
 */
import http from "node:http";
import { serveParent } from "../../harness/children.ts";

export type BurstRequest = {
  readonly type: "burst";
  readonly url: string;
  readonly count: number;
  readonly headers: Readonly<Record<string, string>>;
};

export interface BurstReply {
  /** Wall-clock ms (performance.timeOrigin + now): comparable across the children. */
  readonly startedAt: number;
  readonly endedAt: number;
  readonly latenciesMs: readonly number[];
  readonly statuses: Readonly<Record<string, number>>;
  readonly etags: readonly string[];
  readonly bodyBytes: number;
  readonly errors: readonly string[];
}

const wallClock = () => performance.timeOrigin + performance.now();

function fetchOnce(url: string, headers: Readonly<Record<string, string>>) {
  return new Promise<{ ms: number; status: number; etag: string; bytes: number }>(
    (resolve, reject) => {
      const started = performance.now();
      const request = http.get(
        url,
        { agent: false, headers: { ...headers, connection: "close" }, timeout: 30_000 },
        (response) => {
          let bytes = 0;
          response.on("data", (chunk: Buffer) => {
            bytes += chunk.byteLength;
          });
          response.on("end", () =>
            resolve({
              ms: performance.now() - started,
              status: response.statusCode ?? 0,
              etag: String(response.headers.etag ?? ""),
              bytes,
            }),
          );
          response.on("error", reject);
        },
      );
      request.on("timeout", () => request.destroy(new Error("timed out after 30 s")));
      request.on("error", reject);
    },
  );
}

async function burst(message: BurstRequest): Promise<BurstReply> {
  const startedAt = wallClock();
  const settled = await Promise.allSettled(
    Array.from({ length: message.count }, () => fetchOnce(message.url, message.headers)),
  );
  const endedAt = wallClock();
  const statuses: Record<string, number> = {};
  const etags = new Set<string>();
  const latenciesMs: number[] = [];
  const errors: string[] = [];
  let bodyBytes = 0;
  for (const outcome of settled) {
    if (outcome.status === "rejected") {
      errors.push(String(outcome.reason));
      continue;
    }
    const { ms, status, etag, bytes } = outcome.value;
    statuses[status] = (statuses[status] ?? 0) + 1;
    etags.add(etag);
    latenciesMs.push(ms);
    bodyBytes += bytes;
  }
  return { startedAt, endedAt, latenciesMs, statuses, etags: [...etags], bodyBytes, errors };
}

serveParent(async (message) => {
  if (message.type !== "burst") throw new Error(`unknown message ${message.type}`);
  return burst(message as unknown as BurstRequest);
});
