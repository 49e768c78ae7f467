/**
 * Child processes of the benchmark. Every child started here is tracked: `stopAllChildren()`
 * stops those still running (the runner calls it after each scenario, on error and on Ctrl-C),
 * and they are SIGKILLed synchronously if the bench exits any other way, so nothing outlives a
 * run. A child started with `ipc` answers `request()`s through `serveParent()` on its side.
 */
import { type ChildProcess, execFile, type StdioOptions, spawn } from "node:child_process";
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
  /** Over the IPC channel, one at a time: sends `message`, resolves with the reply. */
  request<T>(message: { readonly type: string } & Record<string, unknown>, ms?: number): Promise<T>;
}

const running = new Set<Child>();
const started: Child[] = [];

export function startChild(
  name: string,
  command: string,
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; ipc?: boolean } = {},
): Child {
  const stdio: StdioOptions = [
    "ignore",
    "pipe",
    "pipe",
    ...(options.ipc ? (["ipc"] as const) : []),
  ];
  const proc = spawn(command, args, { cwd: REPO_ROOT, env: options.env ?? process.env, stdio });
  if (proc.pid === undefined) throw new Error(`could not start ${name} (${command})`);
  let output = "";
  for (const stream of [proc.stdout, proc.stderr]) {
    stream?.on("data", (chunk: Buffer) => {
      output = (output + chunk.toString("utf8")).slice(-64 * 1024);
    });
  }
  let status: string | undefined;
  let answer: ((error: Error | undefined, reply?: unknown) => void) | undefined;
  const exited = new Promise<void>((resolve) => {
    const end = (why: string) => {
      status ??= why;
      running.delete(child);
      answer?.(new Error(`${name} exited (${status}):\n${output.slice(-4000)}`));
      resolve();
    };
    proc.once("exit", (code, signal) => end(signal ?? String(code)));
    proc.once("error", (error) => end(`error: ${error.message}`));
  });
  const child: Child = {
    name,
    pid: proc.pid,
    process: proc,
    output: () => output,
    exitStatus: () => status,
    async stop(graceMs = 10_000) {
      if (status !== undefined) return;
      proc.kill("SIGTERM");
      const timer = setTimeout(() => proc.kill("SIGKILL"), graceMs);
      await exited;
      clearTimeout(timer);
    },
    request<T>(message: { readonly type: string }, timeoutMs = 120_000) {
      return new Promise<T>((resolve, reject) => {
        if (status !== undefined) return reject(new Error(`${name} has exited (${status})`));
        const onReply = (reply: { error?: string }) =>
          answer?.(reply.error ? new Error(`${name}: ${reply.error}`) : undefined, reply);
        const timer = setTimeout(
          () => answer?.(new Error(`${name}: no answer to ${message.type} in ${timeoutMs} ms`)),
          timeoutMs,
        );
        answer = (error, reply) => {
          answer = undefined;
          clearTimeout(timer);
          proc.off("message", onReply);
          if (error) reject(error);
          else resolve(reply as T);
        };
        proc.once("message", onReply);
        proc.send(message);
      });
    },
  };
  running.add(child);
  started.push(child);
  return child;
}

/** `node [flags] --import tsx ENTRY [args]` (ENTRY relative to the repository) as a child. */
export function startNodeChild(
  name: string,
  entry: string,
  options: {
    env?: NodeJS.ProcessEnv;
    flags?: readonly string[];
    args?: readonly string[];
    ipc?: boolean;
  } = {},
): Child {
  const { flags = [], args = [] } = options;
  const entryPath = path.resolve(REPO_ROOT, entry);
  return startChild(
    name,
    process.execPath,
    [...flags, "--import", "tsx", entryPath, ...args],
    options,
  );
}

/** For error reports: each child started so far, its state and its last lines of output. */
export function describeChildren(): string {
  const describe = (child: Child) => {
    const tail = child.output().trimEnd().split("\n").slice(-15).join("\n    ");
    return `  ${child.name} (pid ${child.pid}): ${child.exitStatus() ?? "running"}\n    ${tail}`;
  };
  return started.map(describe).join("\n");
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
  const settings = { timeout: options.timeoutMs ?? 120_000, maxBuffer: 16 << 20, env: options.env };
  return new Promise((resolve, reject) => {
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
  process.on("message", (message: { type: string }) => {
    handle(message).then(
      (reply) => process.send?.(reply),
      (error: unknown) =>
        process.send?.({ error: error instanceof Error ? error.stack : `${error}` }),
    );
  });
  process.on("disconnect", () => process.exit(0));
}
