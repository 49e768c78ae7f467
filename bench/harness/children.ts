/**
 * Child processes of the benchmark. Every child started here is tracked: `stopAllChildren()`
 * stops those still running (the runner calls it after each scenario, on error and on Ctrl-C),
 * and they are SIGKILLed synchronously if the bench exits any other way, so nothing outlives a
 * run. A child started with `ipc` answers `request()`s through `serveParent()` on its side.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import path from "node:path";

export const REPO_ROOT = path.resolve(import.meta.dirname, "../..");

export interface Child {
  readonly name: string;
  readonly pid: number;
  readonly process: ChildProcess;
  /** The last 64 KiB of its stdout and stderr, for error messages. */
  output(): string;
  /** Exit code (or signal) once it has exited, else undefined. */
  exitStatus(): string | undefined;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the child is gone. */
  stop(graceMs?: number): Promise<void>;
  /** Over the IPC channel: sends `message`, resolves with the reply that carries its id. */
  request<T>(message: { readonly type: string } & Record<string, unknown>, ms?: number): Promise<T>;
}

type Reply = { readonly id?: number; readonly error?: string };
const running = new Set<Child>();
const started: Child[] = [];
let nextRequestId = 1;

export function startChild(
  name: string,
  command: string,
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; ipc?: boolean } = {},
): Child {
  const proc = spawn(command, args, {
    cwd: REPO_ROOT,
    env: options.env ?? process.env,
    stdio: ["ignore", "pipe", "pipe", ...(options.ipc ? (["ipc"] as const) : [])],
  });
  if (proc.pid === undefined) throw new Error(`could not start ${name} (${command})`);
  let output = "";
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString("utf8")).slice(-64 * 1024);
  };
  proc.stdout?.on("data", collect);
  proc.stderr?.on("data", collect);
  let status: string | undefined;
  const exited = new Promise<void>((resolve) => {
    const end = (why: string) => {
      status ??= why;
      resolve();
    };
    proc.once("exit", (code, signal) => end(signal ?? String(code)));
    proc.once("error", (error) => end(`error: ${error.message}`));
  });
  const pending = new Map<number, (reply: Reply) => void>();
  proc.on("message", (reply: Reply) => pending.get(reply.id ?? 0)?.(reply));
  const gone = () => new Error(`${name} exited (${status}):\n${output.slice(-4000)}`);

  const child: Child = {
    name,
    pid: proc.pid,
    process: proc,
    output: () => output,
    exitStatus: () => status,
    async stop(graceMs = 10_000) {
      if (status === undefined) {
        proc.kill("SIGTERM");
        const timer = setTimeout(() => proc.kill("SIGKILL"), graceMs);
        await exited;
        clearTimeout(timer);
      }
      running.delete(child);
    },
    request<T>(message: { readonly type: string }, timeoutMs = 120_000) {
      if (status !== undefined) return Promise.reject(gone());
      const id = nextRequestId++;
      return new Promise<T>((resolve, reject) => {
        const timer = setTimeout(() => {
          pending.delete(id);
          reject(new Error(`${name}: no answer to ${message.type} in ${timeoutMs} ms`));
        }, timeoutMs);
        pending.set(id, (reply) => {
          clearTimeout(timer);
          pending.delete(id);
          if (reply.error) reject(new Error(`${name}: ${reply.error}`));
          else resolve(reply as T);
        });
        proc.send({ ...message, id });
      });
    },
  };
  running.add(child);
  started.push(child);
  exited.then(() => {
    running.delete(child);
    for (const answer of pending.values()) answer({ error: gone().message });
  });
  return child;
}

/** `node [flags] --import tsx ENTRY [args]` (ENTRY relative to the repository) as a child. */
export function startNodeChild(
  name: string,
  entry: string,
  options: {
    env?: NodeJS.ProcessEnv;
    nodeFlags?: readonly string[];
    args?: readonly string[];
    ipc?: boolean;
  } = {},
): Child {
  const { nodeFlags = [], args = [] } = options;
  return startChild(
    name,
    process.execPath,
    [...nodeFlags, "--import", "tsx", path.resolve(REPO_ROOT, entry), ...args],
    options,
  );
}

/** For error reports: each child started so far, its state and its last lines of output. */
export function describeChildren(lines = 15): string {
  return started
    .map((child) => {
      const status = child.exitStatus();
      const tail = child.output().trimEnd().split("\n").slice(-lines).join("\n    ");
      return `  ${child.name} (pid ${child.pid}): ${status === undefined ? "running" : `exited ${status}`}${tail ? `\n    ${tail}` : ""}`;
    })
    .join("\n");
}

/** Stops every child still running (in parallel). */
export async function stopAllChildren(): Promise<void> {
  await Promise.all([...running].map((child) => child.stop(5_000).catch(() => {})));
}

// Last resort: the bench process is exiting without having run its cleanup.
process.once("exit", () => {
  for (const child of running) child.process.kill("SIGKILL");
});

/** Runs a command to completion and returns its stdout (rejects with its output on failure). */
export function runCommand(
  command: string,
  args: readonly string[],
  options: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<string> {
  return new Promise((resolve, reject) => {
    const settings = {
      timeout: options.timeoutMs ?? 120_000,
      maxBuffer: 16 << 20,
      env: options.env,
    };
    execFile(command, args, { ...settings, encoding: "utf8" }, (error, stdout, stderr) => {
      if (!error) return resolve(stdout);
      reject(
        new Error(`${command} ${args.join(" ")} failed: ${error.message}\n${stdout}${stderr}`),
      );
    });
  });
}

/** In a child started with `ipc`: answers the parent's requests; exits when the parent goes. */
export function serveParent(
  handle: (message: { type: string } & Record<string, unknown>) => Promise<object>,
): void {
  if (!process.send) throw new Error("run this as a child of the bench (it needs an IPC channel)");
  process.on("message", (message: { id: number; type: string }) => {
    handle(message).then(
      (reply) => process.send?.({ ...reply, id: message.id }),
      (error: unknown) =>
        process.send?.({
          id: message.id,
          error: error instanceof Error ? error.stack : `${error}`,
        }),
    );
  });
  process.on("disconnect", () => process.exit(0));
}
