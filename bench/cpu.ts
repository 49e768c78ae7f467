/**
 * CPU accounting from /proc, to tell a clean measurement from one that shared the machine with
 * something else (a test run, a type check): during a wrk run, the machine's busy time minus the
 * server's and this process's own (including wrk, a reaped child) is "other" load.
 */
import { readdirSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { processCpuMs, TICK_MS } from "./procfs.ts";

interface MachineTicks {
  /** user + nice + system: time charged to processes (softirq time is not). */
  readonly busy: number;
  /** irq + softirq: mostly the loopback network stack under load, charged to no process. */
  readonly irq: number;
  /** Time the hypervisor gave to other guests although this one wanted to run. */
  readonly steal: number;
  readonly total: number;
}

function machineTicks(): MachineTicks {
  const line = readFileSync("/proc/stat", "utf8").split("\n", 1)[0] ?? "";
  // cpu user nice system idle iowait irq softirq steal guest guest_nice (guest is in user)
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] =
    line.trim().split(/\s+/).slice(1, 9).map(Number);
  return {
    busy: user + nice + system,
    irq: irq + softirq,
    steal,
    total: user + nice + system + idle + iowait + irq + softirq + steal,
  };
}

/** utime + stime of a process (all its threads), plus its reaped children's when `children`. */
function processTicks(pid: number | "self", children = false): number {
  return processCpuMs(pid, children) / TICK_MS;
}

/** CPU used over an interval, in cores (1.0 = one CPU fully busy). */
export interface CpuUsage {
  /** Charged to processes (user + system), all of them. */
  readonly machine: number;
  readonly server: number;
  /** This bench process and its reaped children (wrk). */
  readonly bench: number;
  /** Every other process on the machine. */
  readonly other: number;
  /** Interrupt and softirq time (the loopback network stack), charged to no process. */
  readonly irq: number;
  /** CPU time the hypervisor withheld. */
  readonly steal: number;
  /** The busiest other processes, e.g. "node tsc 0.61, postgres 0.05". */
  readonly topOther: string;
}

/** CPU ticks of every process alive now. */
function allProcessTicks(): Map<number, number> {
  const ticks = new Map<number, number>();
  for (const name of readdirSync("/proc")) {
    if (/^\d+$/.test(name)) ticks.set(Number(name), processTicks(Number(name)));
  }
  return ticks;
}

/** A short name for a process: its program and, for interpreters, the script. */
function describeProcess(pid: number): string {
  try {
    const argv = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean);
    const program = path.basename(argv[0] ?? "?");
    const script = argv.slice(1).find((arg) => !arg.startsWith("-") && arg !== "tsx");
    return script && /node|python|sh$/.test(program)
      ? `${program} ${script.split("/").slice(-2).join("/")}`
      : program;
  } catch {
    return `pid ${pid}`;
  }
}

export interface CpuMeter {
  stop(): CpuUsage;
}

/** Starts measuring; `serverPids` are the processes under test (read again at the end). */
export function startCpuMeter(serverPids: readonly number[]): CpuMeter {
  const machine0 = machineTicks();
  const server0 = serverPids.map((pid) => processTicks(pid));
  const bench0 = processTicks("self", true);
  const all0 = allProcessTicks();
  return {
    stop() {
      const machine1 = machineTicks();
      const server = serverPids.reduce(
        (sum, pid, i) => sum + Math.max(0, processTicks(pid) - (server0[i] ?? 0)),
        0,
      );
      const bench = processTicks("self", true) - bench0;
      const cpus = os.availableParallelism();
      const perCpu = (machine1.total - machine0.total) / cpus;
      if (perCpu <= 0) {
        return { machine: 0, server: 0, bench: 0, other: 0, irq: 0, steal: 0, topOther: "" };
      }
      const mine = new Set([...serverPids, process.pid]);
      const others: [number, number][] = [];
      for (const [pid, ticks] of allProcessTicks()) {
        if (mine.has(pid)) continue;
        const delta = ticks - (all0.get(pid) ?? 0);
        if (delta > 0) others.push([pid, delta / perCpu]);
      }
      const topOther = others
        .sort((a, b) => b[1] - a[1])
        .slice(0, 3)
        .filter(([, cores]) => cores >= 0.02)
        .map(([pid, cores]) => `${describeProcess(pid)} ${cores.toFixed(2)}`)
        .join(", ");
      const busy = (machine1.busy - machine0.busy) / perCpu;
      const serverCores = server / perCpu;
      const benchCores = bench / perCpu;
      return {
        machine: busy,
        server: serverCores,
        bench: benchCores,
        other: Math.max(0, busy - serverCores - benchCores),
        irq: (machine1.irq - machine0.irq) / perCpu,
        steal: (machine1.steal - machine0.steal) / perCpu,
        topOther,
      };
    },
  };
}

/**
 * All waiting for quiet in one run draws on one budget, so a machine that stays busy (someone
 * else's test run) makes the bench report the load rather than take forever.
 */
let quietBudgetMs = Number(process.env.BENCH_QUIET_BUDGET_SECONDS ?? 60) * 1000;

export function quietBudgetLeftMs(): number {
  return quietBudgetMs;
}

/**
 * Waits (bounded by `maxWaitMs` and the run's budget) until the rest of the machine is quiet:
 * other load below `threshold` cores over a 0.5 s window. Returns the last window's other load
 * and how long it waited.
 */
export async function waitForQuiet(options: {
  maxWaitMs: number;
  threshold: number;
}): Promise<{ waitedMs: number; other: number }> {
  const started = Date.now();
  for (;;) {
    const meter = startCpuMeter([]);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const { other } = meter.stop();
    const waitedMs = Date.now() - started;
    if (other < options.threshold || waitedMs >= Math.min(options.maxWaitMs, quietBudgetMs)) {
      quietBudgetMs = Math.max(0, quietBudgetMs - waitedMs);
      return { waitedMs, other };
    }
  }
}

/**
 * Waits (bounded) until a process's own CPU use falls below `threshold` cores over 1 s, e.g. for
 * a server to finish background work after a burst of pushes. Returns the CPU it used meanwhile.
 */
export async function waitForProcessIdle(
  pid: number,
  options: { maxWaitMs: number; threshold: number },
): Promise<{ waitedMs: number; cpuSeconds: number; settled: boolean; idleCores: number }> {
  const ticksPerSecond = 100; // USER_HZ, 100 on Linux
  const started = Date.now();
  const first = processTicks(pid);
  for (;;) {
    const before = processTicks(pid);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const used = (processTicks(pid) - before) / ticksPerSecond;
    const waitedMs = Date.now() - started;
    const settled = used < options.threshold;
    if (settled || waitedMs >= options.maxWaitMs) {
      const cpuSeconds = (processTicks(pid) - first) / ticksPerSecond;
      return { waitedMs, cpuSeconds, settled, idleCores: used };
    }
  }
}
