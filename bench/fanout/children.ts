/**
 * Child processes of the fan-out benchmark. Every child is tracked; `stopAll()` ends them
 * (SIGTERM, then SIGKILL), and an exiting bench process SIGKILLs whatever is left, so nothing
 * outlives a run. Children that talk back do so over Node's IPC channel, one request at a time
 * per id.
 */
import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";

export const REPO_ROOT = path.resolve(import.meta.dirname, "../..");
const OUTPUT_LIMIT = 64 * 1024;

export interface Child {
  readonly name: string;
  readonly pid: number;
  readonly process: ChildProcess;
  output(): string;
  exited(): boolean;
  /** Sends `message` and resolves with the first reply carrying the same `id`. */
  request<T>(message: Record<string, unknown>, timeoutMs?: number): Promise<T>;
  stop(graceMs?: number): Promise<void>;
}

const running = new Set<Child>();
let nextRequestId = 1;

export interface StartOptions {
  readonly env?: NodeJS.ProcessEnv;
  readonly nodeFlags?: readonly string[];
  /** Echo the child's output to ours, prefixed with its name. */
  readonly echo?: boolean;
}

/** Runs a TypeScript entry point with Node (+ tsx) as a child with an IPC channel. */
export function startNodeChild(name: string, entry: string, options: StartOptions = {}): Child {
  const proc = spawn(
    process.execPath,
    [...(options.nodeFlags ?? []), "--import", "tsx", path.resolve(REPO_ROOT, entry)],
    {
      cwd: REPO_ROOT,
      env: options.env ?? process.env,
      stdio: ["ignore", "pipe", "pipe", "ipc"],
    },
  );
  if (proc.pid === undefined) throw new Error(`could not start ${name}`);
  let output = "";
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString("utf8")).slice(-OUTPUT_LIMIT);
    if (options.echo) {
      for (const line of chunk.toString("utf8").trimEnd().split("\n")) {
        process.stderr.write(`  [${name}] ${line}\n`);
      }
    }
  };
  proc.stdout?.on("data", collect);
  proc.stderr?.on("data", collect);
  let done = false;
  const exit = new Promise<void>((resolve) => {
    proc.once("exit", () => {
      done = true;
      resolve();
    });
    proc.once("error", () => {
      done = true;
      resolve();
    });
  });
  const pending = new Map<
    number,
    { resolve: (value: unknown) => void; reject: (e: Error) => void }
  >();
  proc.on("message", (message: { id?: number; error?: string }) => {
    const waiter = message.id === undefined ? undefined : pending.get(message.id);
    if (!waiter || message.id === undefined) return;
    pending.delete(message.id);
    if (message.error) waiter.reject(new Error(`${name}: ${message.error}`));
    else waiter.resolve(message);
  });
  exit.then(() => {
    for (const waiter of pending.values()) {
      waiter.reject(new Error(`${name} exited:\n${output.slice(-4000)}`));
    }
    pending.clear();
    running.delete(child);
  });

  const child: Child = {
    name,
    pid: proc.pid,
    process: proc,
    output: () => output,
    exited: () => done,
    request<T>(message: Record<string, unknown>, timeoutMs = 120_000): Promise<T> {
      if (done) return Promise.reject(new Error(`${name} has exited:\n${output.slice(-4000)}`));
      const id = nextRequestId++;
      return new Promise<T>((resolve, reject) => {
        const timer = setTimeout(() => {
          pending.delete(id);
          reject(new Error(`${name}: no answer to ${String(message.type)} in ${timeoutMs} ms`));
        }, timeoutMs);
        pending.set(id, {
          resolve: (value) => {
            clearTimeout(timer);
            resolve(value as T);
          },
          reject: (error) => {
            clearTimeout(timer);
            reject(error);
          },
        });
        proc.send({ ...message, id });
      });
    },
    async stop(graceMs = 10_000) {
      if (!done) {
        proc.kill("SIGTERM");
        const timer = setTimeout(() => proc.kill("SIGKILL"), graceMs);
        await exit;
        clearTimeout(timer);
      }
      running.delete(child);
    },
  };
  running.add(child);
  return child;
}

export async function stopAll(): Promise<void> {
  await Promise.all([...running].map((child) => child.stop(5_000).catch(() => {})));
}

process.once("exit", () => {
  for (const child of running) {
    try {
      child.process.kill("SIGKILL");
    } catch {
      // already gone
    }
  }
});

/** In a child: answers requests from the parent; exits when the parent goes away. */
export function serveParent(
  handle: (message: Record<string, unknown> & { type: string }) => Promise<Record<string, unknown>>,
): void {
  if (!process.send) throw new Error("run this as a child of bench/fanout/run.ts (needs IPC)");
  process.on("message", (message: Record<string, unknown> & { id: number; type: string }) => {
    handle(message).then(
      (reply) => process.send?.({ ...reply, id: message.id }),
      (error: unknown) =>
        process.send?.({
          id: message.id,
          error: error instanceof Error ? (error.stack ?? error.message) : String(error),
        }),
    );
  });
  // The parent died or closed the channel: nothing more to do.
  process.on("disconnect", () => process.exit(0));
}
