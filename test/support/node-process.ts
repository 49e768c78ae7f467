import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";

const ROOT = join(import.meta.dirname, "../..");

export interface ServerProcess {
  readonly child: ChildProcess;
  readonly output: () => string;
  readonly exited: Promise<number | null>;
}

/** The Node flags `npm start` and `npm run delivery` use (package.json); a test asserts they match. */
export const NPM_START_NODE_ARGS = [
  "--max-old-space-size=192",
  "--experimental-async-context-frame",
] as const;

/**
 * Runs a real entry point (`src/entries/node/server.ts` is what `npm start` runs) as a child process with only
 * the given environment (plus PATH), so nothing from the test's own environment leaks in.
 * `nodeArgs` go before the entry, e.g. NPM_START_NODE_ARGS for the heap `npm start` gives.
 */
export function startProcess(
  env: Record<string, string>,
  entry = "src/entries/node/server.ts",
  nodeArgs: readonly string[] = [],
): ServerProcess {
  const child = spawn(process.execPath, [...nodeArgs, "--import", "tsx", entry], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (chunk) => {
    output += chunk;
  });
  child.stderr?.on("data", (chunk) => {
    output += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, output: () => output, exited };
}

/** Resolves once `/healthz` answers 200; fails early if the process exits. */
export async function waitForHealth(url: string, started: ServerProcess, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (started.child.exitCode !== null) throw new Error(`server exited:\n${started.output()}`);
    try {
      if ((await fetch(`${url}/healthz`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`server did not become healthy:\n${started.output()}`);
}

/**
 * Starts the server on a free port, trying another port if that one was taken between finding
 * it and listening on it (ephemeral ports get reused when many tests open connections).
 */
export async function startOnFreePort(
  env: Record<string, string>,
  freePort: () => Promise<number>,
  nodeArgs: readonly string[] = [],
): Promise<{ server: ServerProcess; url: string }> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const server = startProcess(
      { ...env, PORT: String(port), PUBLIC_URL: url },
      "src/entries/node/server.ts",
      nodeArgs,
    );
    try {
      await waitForHealth(url, server);
      return { server, url };
    } catch (error) {
      if (attempt >= 3 || !server.output().includes("EADDRINUSE")) throw error;
    }
  }
}

/** SIGKILLs every process of the list still running and waits until each is gone. */
export async function killAll(processes: readonly ServerProcess[]): Promise<void> {
  for (const started of processes) {
    if (started.child.exitCode === null && started.child.signalCode === null) {
      started.child.kill("SIGKILL");
      await started.exited;
    }
  }
}

/** `POST /admin/articles` to a running server with the test admin token. */
export function postArticle(url: string, token: string, article: Record<string, unknown>) {
  return fetch(`${url}/admin/articles`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify(article),
  });
}
