/**
 * Runs the Worker (src/entries/cloudflare/worker.ts, wrangler.toml) under local workerd with `wrangler dev`, as
 * `npm run dev:worker` does, against a test PostgreSQL: Hyperdrive's local connection points at
 * it, Queues and the Cache API are wrangler's local ones (state in a temp dir per run).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "../../support/free-port.ts";

const ROOT = join(import.meta.dirname, "../../..");
const BIN = join(ROOT, "node_modules/.bin");

export interface WorkerProcess {
  readonly url: string;
  readonly host: string;
  /** Everything wrangler and the Worker printed so far. */
  output(): string;
  /** Runs the Cron Trigger once (wrangler's --test-scheduled endpoint). */
  runCron(): Promise<Response>;
  close(): Promise<void>;
}

export interface WorkerOptions {
  /** The PostgreSQL the Worker's HYPERDRIVE binding reaches. */
  readonly databaseUrl: string;
  /** Extra Worker variables (`--var NAME:VALUE`). */
  readonly vars?: Readonly<Record<string, string>>;
  readonly timeoutMs?: number;
}

export async function startWorker(options: WorkerOptions): Promise<WorkerProcess> {
  const state = await mkdtemp(join(tmpdir(), "tidings-wrangler-"));
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const started = spawnWrangler(port, state, {
      ...options,
      vars: { PUBLIC_URL: url, ...options.vars },
    });
    try {
      await waitForHealth(url, started, options.timeoutMs ?? 90_000);
    } catch (error) {
      await stop(started.child);
      // The port may have been taken between finding it and wrangler listening on it.
      if (attempt < 3 && /EADDRINUSE|address already in use/i.test(started.output())) continue;
      await rm(state, { recursive: true, force: true });
      throw error;
    }
    return {
      url,
      host: `127.0.0.1:${port}`,
      output: started.output,
      runCron: () => fetch(`${url}/__scheduled?cron=${encodeURIComponent("* * * * *")}`),
      async close() {
        await stop(started.child);
        await rm(state, { recursive: true, force: true });
      },
    };
  }
}

interface Started {
  readonly child: ChildProcess;
  readonly output: () => string;
}

function spawnWrangler(port: number, state: string, options: WorkerOptions): Started {
  const vars = Object.entries(options.vars ?? {}).flatMap(([name, value]) => [
    "--var",
    `${name}:${value}`,
  ]);
  const child = spawn(
    join(BIN, "wrangler"),
    [
      "dev",
      "--ip",
      "127.0.0.1",
      "--port",
      String(port),
      "--inspector-port",
      "0",
      "--persist-to",
      state,
      "--test-scheduled",
      "--show-interactive-dev-session=false",
      "--log-level",
      "info",
      ...vars,
    ],
    {
      cwd: ROOT,
      // Wrangler needs the project's Node 22 (node_modules/.bin) and no network.
      env: {
        PATH: `${BIN}:${process.env.PATH ?? ""}`,
        HOME: process.env.HOME ?? tmpdir(),
        WRANGLER_SEND_METRICS: "false",
        CLOUDFLARE_CF_FETCH_ENABLED: "false",
        CLOUDFLARE_HYPERDRIVE_LOCAL_CONNECTION_STRING_HYPERDRIVE: withPassword(options.databaseUrl),
        NO_COLOR: "1",
        // A registry of our own: never hand queue messages to another `wrangler dev` of this
        // Worker (a developer's `npm run dev:worker`), nor take theirs.
        WRANGLER_REGISTRY_PATH: join(state, "registry"),
      },
      stdio: ["ignore", "pipe", "pipe"],
      // Its own process group, so close() stops wrangler and the workerd it started.
      detached: true,
    },
  );
  let output = "";
  child.stdout?.on("data", (chunk) => {
    output += chunk;
  });
  child.stderr?.on("data", (chunk) => {
    output += chunk;
  });
  return { child, output: () => output };
}

/**
 * Hyperdrive insists on a password in its connection string; the throwaway cluster trusts
 * loopback connections and ignores whatever password is sent.
 */
function withPassword(databaseUrl: string): string {
  const url = new URL(databaseUrl);
  if (!url.password) url.password = "unused";
  return url.toString();
}

async function waitForHealth(url: string, started: Started, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (started.child.exitCode !== null) {
      throw new Error(`wrangler dev exited:\n${started.output()}`);
    }
    try {
      if ((await fetch(`${url}/healthz`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`the Worker did not become healthy in ${timeoutMs} ms:\n${started.output()}`);
}

/** SIGTERM to the whole process group, SIGKILL if it lingers. */
async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.pid === undefined) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const signal = (name: NodeJS.Signals) => {
    try {
      process.kill(-(child.pid as number), name);
    } catch {
      // already gone
    }
  };
  signal("SIGTERM");
  const timer = setTimeout(() => signal("SIGKILL"), 5_000);
  await exited;
  clearTimeout(timer);
}
