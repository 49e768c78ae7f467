/**
 * A small keep-alive HTTP/1.1 client on one connection, so latencies exclude connection set-up,
 * and bodies arrive as the bytes sent (no decompression: the serving checks compare them).
 */
import http from "node:http";
import type { Child } from "./children.ts";

export interface HttpResponse {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Buffer;
}

export class HttpClient {
  readonly #agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  readonly #origin: URL;

  constructor(origin: string) {
    this.#origin = new URL(origin);
  }

  request(
    path: string,
    options: {
      method?: string;
      headers?: Record<string, string>;
      body?: string;
      timeoutMs?: number;
    } = {},
  ): Promise<HttpResponse> {
    const { hostname: host, port } = this.#origin;
    const headers = { ...options.headers };
    if (options.body !== undefined)
      headers["content-length"] = String(Buffer.byteLength(options.body));
    return new Promise((resolve, reject) => {
      const request = http.request(
        {
          host,
          port,
          path,
          method: options.method ?? "GET",
          headers,
          agent: this.#agent,
          timeout: options.timeoutMs ?? 30_000,
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on("data", (chunk: Buffer) => chunks.push(chunk));
          response.once("error", reject);
          response.once("end", () =>
            resolve({
              status: response.statusCode ?? 0,
              headers: response.headers,
              body: Buffer.concat(chunks),
            }),
          );
        },
      );
      request.once("timeout", () => request.destroy(new Error(`timeout: ${path}`)));
      request.once("error", reject);
      request.end(options.body);
    });
  }

  /** Closes the kept-alive connection (servers wait for idle connections when shutting down). */
  close(): void {
    this.#agent.destroy();
  }
}

/**
 * Polls `GET url` until the child server answers 200. If it exits first or does not answer
 * within `timeoutMs`, stops it and throws with its output.
 */
export async function waitUntilServing(
  child: Child,
  url: string,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const target = new URL(url);
  const client = new HttpClient(target.origin);
  let last = "no answer";
  try {
    while (Date.now() < deadline && child.exitStatus() === undefined) {
      const response = await client
        .request(target.pathname, { timeoutMs: 2_000 })
        .catch((error: Error) => error);
      if (!(response instanceof Error) && response.status === 200) return;
      last = response instanceof Error ? response.message : `HTTP ${response.status}`;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } finally {
    client.close();
  }
  const exited = child.exitStatus();
  await child.stop(2_000);
  const why = exited
    ? `exited (${exited})`
    : `gave no 200 from ${url} in ${timeoutMs} ms (${last})`;
  throw new Error(`${child.name} did not start: it ${why}\n${child.output()}`);
}
