/** HTTP for the bench: one kept-alive connection per client, bodies as sent (never decompressed). */
import { Pool } from "undici";
import type { Child } from "./children.ts";

export class HttpClient {
  readonly #pool: Pool;

  constructor(origin: string) {
    this.#pool = new Pool(origin, { connections: 1 });
  }

  async request(
    path: string,
    options: { method?: "GET" | "POST"; headers?: Record<string, string>; body?: string } = {},
  ) {
    const response = await this.#pool.request({
      path,
      method: "GET",
      ...options,
      headersTimeout: 30_000,
    });
    return {
      status: response.statusCode,
      headers: response.headers,
      body: Buffer.from(await response.body.arrayBuffer()),
    };
  }

  close(): Promise<void> {
    return this.#pool.destroy();
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
  const target = new URL(url);
  const client = new HttpClient(target.origin);
  let last = "no answer";
  try {
    for (const deadline = Date.now() + timeoutMs; Date.now() < deadline && !child.exitStatus(); ) {
      const answer = await client.request(target.pathname).catch((error: Error) => error);
      if (!(answer instanceof Error) && answer.status === 200) return;
      last = answer instanceof Error ? answer.message : `HTTP ${answer.status}`;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } finally {
    await client.close();
  }
  const why = child.exitStatus()
    ? `exited (${child.exitStatus()})`
    : `did not answer ${url} (${last})`;
  await child.stop(2_000);
  throw new Error(`${child.name} did not start: it ${why}\n${child.output()}`);
}
