/**
 * Child processes of the benchmark. Every process started here is tracked and killed by
 * `stopAllChildren()` (run.ts calls it in `finally`), and SIGKILLed synchronously if the bench
 * process exits any other way, so nothing outlives a run.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { readdir, readFile } from "node:fs/promises";

export interface Child {
  readonly name: string;
  readonly pid: number;
  readonly process: ChildProcess;
  /** The last 64 KiB of the child's stdout and stderr, for error messages. */
  output(): string;
  /** Exit code (or signal name) once the child has exited, else undefined. */
  exitStatus(): string | undefined;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the child is gone. */
  stop(graceMs?: number): Promise<void>;
}

const OUTPUT_LIMIT = 64 * 1024;
const running = new Set<Child>();
const started: Child[] = [];

export function startChild(
  name: string,
  command: string,
  args: readonly string[],
  options: {
    env?: NodeJS.ProcessEnv;
    cwd?: string;
    /** Open Node's IPC channel to the child (`process.send` there, "message" events here). */
    ipc?: boolean;
    /** Echo the child's output to ours, prefixed with its name. */
    echo?: boolean;
  } = {},
): Child {
  const proc = spawn(command, args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: options.ipc ? ["ignore", "pipe", "pipe", "ipc"] : ["ignore", "pipe", "pipe"],
  });
  if (proc.pid === undefined) throw new Error(`could not start ${name} (${command})`);
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
  let status: string | undefined;
  const exited = new Promise<void>((resolve) => {
    proc.once("exit", (code, signal) => {
      status = signal ?? String(code);
      resolve();
    });
    proc.once("error", (error) => {
      status ??= `error: ${error.message}`;
      resolve();
    });
  });

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
  };
  running.add(child);
  started.push(child);
  exited.then(() => running.delete(child));
  return child;
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
  for (const child of running) {
    try {
      child.process.kill("SIGKILL");
    } catch {
      // already gone
    }
  }
});

/** Runs a command to completion and returns its stdout (rejects with its output on failure). */
export function runCommand(
  command: string,
  args: readonly string[],
  options: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      command,
      args,
      {
        encoding: "utf8",
        timeout: options.timeoutMs ?? 120_000,
        maxBuffer: 16 * 1024 * 1024,
        env: options.env ?? process.env,
      },
      (error, stdout, stderr) => {
        if (error) {
          reject(
            new Error(`${command} ${args.join(" ")} failed: ${error.message}\n${stdout}${stderr}`),
          );
        } else {
          resolve(stdout);
        }
      },
    );
  });
}

/** Memory of a process from /proc/PID/status, in KiB. */
export interface MemoryStatus {
  readonly vmRssKiB: number;
  readonly vmHwmKiB: number;
}

export async function readMemoryStatus(pid: number): Promise<MemoryStatus> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  const field = (name: string) => {
    const match = new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(status);
    if (!match?.[1]) throw new Error(`no ${name} in /proc/${pid}/status`);
    return Number(match[1]);
  };
  return { vmRssKiB: field("VmRSS"), vmHwmKiB: field("VmHWM") };
}

/** A process and all its descendants (e.g. nginx's master and worker), from /proc. */
export async function processTree(pid: number): Promise<number[]> {
  const tree = [pid];
  const tasks = await readdir(`/proc/${pid}/task`).catch(() => [] as string[]);
  for (const task of tasks) {
    const children = await readFile(`/proc/${pid}/task/${task}/children`, "utf8").catch(() => "");
    for (const child of children.split(/\s+/).filter(Boolean)) {
      tree.push(...(await processTree(Number(child))));
    }
  }
  return tree;
}

/** Restricts every thread of a process and its descendants to the given CPUs (e.g. "0"). */
export async function pinProcessTree(taskset: string, pid: number, cpus: string): Promise<void> {
  for (const member of await processTree(pid)) {
    await runCommand(taskset, ["-a", "-p", "-c", cpus, String(member)]);
  }
}
