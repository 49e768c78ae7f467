/**
 * The real server (`src/entries/node/server.ts`) on a free port with its own embedded database,
 * for tests that run `tidings` against it, with a scratch folder for the files they push.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "vitest";
import { type CliRun, runCli } from "./cli-process.ts";
import { freePort } from "./free-port.ts";
import { startProcess, waitForHealth } from "./node-process.ts";

export interface CliServer {
  readonly url: string;
  /** A scratch folder, removed by `close`. */
  readonly work: string;
  /** Runs `tidings` as editors do, with TIDINGS_URL and ADMIN_TOKEN in its environment. */
  tidings(args: readonly string[], input?: string): Promise<CliRun>;
  /** An admin API call that must succeed (2xx); its JSON answer. */
  api<T>(method: string, path: string, body?: unknown): Promise<T>;
  close(): Promise<void>;
}

export async function startCliServer(name: string, token: string): Promise<CliServer> {
  const dataDir = await mkdtemp(join(tmpdir(), `tidings-${name}-data-`));
  const work = await mkdtemp(join(tmpdir(), `tidings-${name}-files-`));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const server = startProcess({
    PORT: String(port),
    PUBLIC_URL: url,
    DATA_DIR: dataDir,
    ADMIN_TOKEN: token,
    LOG_LEVEL: "warn",
  });
  await waitForHealth(url, server);
  return {
    url,
    work,
    tidings: (args, input) => runCli(args, { TIDINGS_URL: url, ADMIN_TOKEN: token }, input),
    async api<T>(method: string, path: string, body?: unknown): Promise<T> {
      const response = await fetch(`${url}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      expect(response.status, `${method} ${path}`).toBeLessThan(300);
      return (await response.json()) as T;
    },
    async close() {
      if (server.child.exitCode === null) {
        server.child.kill("SIGTERM");
        await server.exited;
      }
      await rm(dataDir, { recursive: true, force: true });
      await rm(work, { recursive: true, force: true });
    },
  };
}
