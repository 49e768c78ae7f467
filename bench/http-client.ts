/** A small keep-alive HTTP/1.1 client (one connection), so latencies exclude connection setup. */
import http from "node:http";

export interface HttpResponse {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Buffer;
}

export interface RequestOptions {
  readonly method?: string;
  readonly headers?: Record<string, string>;
  readonly body?: string | Buffer;
  readonly timeoutMs?: number;
}

export class HttpClient {
  readonly #agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  readonly #origin: URL;

  constructor(origin: string) {
    this.#origin = new URL(origin);
  }

  request(path: string, options: RequestOptions = {}): Promise<HttpResponse> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.body !== undefined) {
      headers["content-length"] = String(Buffer.byteLength(options.body));
    }
    return new Promise((resolve, reject) => {
      const request = http.request(
        {
          host: this.#origin.hostname,
          port: this.#origin.port,
          path,
          method: options.method ?? "GET",
          headers,
          agent: this.#agent,
          timeout: options.timeoutMs ?? 30_000,
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on("data", (chunk: Buffer) => chunks.push(chunk));
          response.once("end", () =>
            resolve({
              status: response.statusCode ?? 0,
              headers: response.headers,
              body: Buffer.concat(chunks),
            }),
          );
          response.once("error", reject);
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

/** Polls `GET url` until it answers `expectStatus`, or throws after `timeoutMs`. */
export async function waitForHttp(
  url: string,
  options: { timeoutMs: number; expectStatus?: number; isDead?: () => string | undefined },
): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  const target = new URL(url);
  const client = new HttpClient(target.origin);
  let last = "no answer";
  try {
    while (Date.now() < deadline) {
      const dead = options.isDead?.();
      if (dead !== undefined) throw new Error(`the server exited (${dead}) before answering`);
      try {
        const response = await client.request(target.pathname, { timeoutMs: 2_000 });
        if (response.status === (options.expectStatus ?? 200)) return;
        last = `HTTP ${response.status}`;
      } catch (error) {
        last = error instanceof Error ? error.message : String(error);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } finally {
    client.close();
  }
  throw new Error(`${url} did not answer within ${options.timeoutMs} ms (last: ${last})`);
}
