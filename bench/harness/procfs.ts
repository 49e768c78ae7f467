/**
 * CPU time and memory of processes and of the machine, from /proc (Linux), and the waits built
 * on them. The machine may be shared (someone's test run): a measurement records how much CPU
 * went to processes that are not the benchmark's own ("other" load), so a figure taken on a busy
 * machine can be told from a clean one.
 */
import { readdirSync, readFileSync } from "node:fs";

/** USER_HZ: the unit of the times in /proc/PID/stat (100 on every mainstream Linux build). */
const TICK_MS = 10;

interface ProcessTimes {
  readonly ppid: number;
  /** utime + stime, ms. */
  readonly ownMs: number;
  /** cutime + cstime: children it has waited for, ms. */
  readonly reapedMs: number;
}

function readStat(pid: number | "self"): ProcessTimes | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name may contain spaces: the fields after it start at field 3 (state).
    const f = stat
      .slice(stat.lastIndexOf(")") + 2)
      .split(" ")
      .map(Number);
    const ms = (i: number) => (f[i] ?? 0) * TICK_MS;
    return { ppid: f[1] ?? 0, ownMs: ms(11) + ms(12), reapedMs: ms(13) + ms(14) };
  } catch {
    return undefined; // gone meanwhile
  }
}

function readAll(): Map<number, ProcessTimes> {
  const all = new Map<number, ProcessTimes>();
  for (const name of readdirSync("/proc")) {
    const times = /^\d+$/.test(name) ? readStat(Number(name)) : undefined;
    if (times) all.set(Number(name), times);
  }
  return all;
}

/** `pid` and its live descendants (e.g. nginx's master and worker, PostgreSQL's backends). */
function treeOf(pid: number, all: Map<number, ProcessTimes>): number[] {
  const tree = [pid];
  for (let i = 0; i < tree.length; i++) {
    for (const [child, times] of all) if (times.ppid === tree[i]) tree.push(child);
  }
  return tree;
}

/**
 * CPU ms of a process tree, children it reaped included, so the total only grows even when a
 * member exits between two readings (a pooled PostgreSQL connection closing).
 */
function treeMs(pids: Iterable<number>, all: Map<number, ProcessTimes>): number {
  let total = 0;
  for (const pid of pids) total += (all.get(pid)?.ownMs ?? 0) + (all.get(pid)?.reapedMs ?? 0);
  return total;
}

/** Busy time of the whole machine, ms summed over CPUs: processes, and interrupt/softirq time. */
function machineMs() {
  const line = readFileSync("/proc/stat", "utf8").split("\n", 1)[0] ?? "";
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0] = line
    .trim()
    .split(/\s+/)
    .slice(1, 8)
    .map((ticks) => Number(ticks) * TICK_MS);
  return { busy: user + nice + system, irq: irq + softirq };
}

/** CPU used over a measured interval; `cores` are averages over it (1 = one CPU busy). */
export interface CpuUsage {
  readonly elapsedMs: number;
  /** CPU ms of each measured process tree, by the name it was given. */
  readonly ms: Readonly<Record<string, number>>;
  readonly cores: Readonly<Record<string, number>>;
  /** The machine: processes plus interrupt time (much of it the loopback network stack). */
  readonly machine: number;
  /**
   * Processes that are neither the benchmark's own (this process, its children, `measured`) nor
   * kernel threads (ksoftirqd does loopback networking for us): someone else's load.
   */
  readonly other: number;
}

/**
 * Starts measuring the named process trees. The benchmark's own processes are this one's tree
 * (every child, and wrk once reaped) plus the measured trees (PostgreSQL is not our child).
 */
export function startCpuMeter(measured: Readonly<Record<string, number>> = {}) {
  const sample = () => {
    const all = readAll();
    const trees = Object.entries(measured).map(([name, pid]) => [name, treeOf(pid, all)] as const);
    const ours = new Set([...treeOf(process.pid, all), ...trees.flatMap(([, tree]) => tree)]);
    const kthreads = [...all].filter(([pid, t]) => pid === 2 || t.ppid === 2).map(([pid]) => pid);
    return {
      at: performance.now(),
      machine: machineMs(),
      oursMs: treeMs(ours, all),
      kernelMs: treeMs(kthreads, all),
      trees: Object.fromEntries(trees.map(([name, tree]) => [name, treeMs(tree, all)])),
    };
  };
  const first = sample();
  return {
    stop(): CpuUsage {
      const last = sample();
      const elapsedMs = Math.max(1, last.at - first.at);
      const cores = (ms: number) => ms / elapsedMs;
      const ms = Object.fromEntries(
        Object.keys(measured).map((name) => [
          name,
          (last.trees[name] ?? 0) - (first.trees[name] ?? 0),
        ]),
      );
      const kernelMs = last.kernelMs - first.kernelMs;
      const busy = last.machine.busy - first.machine.busy;
      return {
        elapsedMs,
        ms,
        cores: Object.fromEntries(Object.entries(ms).map(([name, used]) => [name, cores(used)])),
        machine: cores(busy + last.machine.irq - first.machine.irq),
        other: Math.max(0, cores(busy - (last.oursMs - first.oursMs) - kernelMs)),
      };
    },
  };
}

/** VmRSS and VmHWM (the peak RSS since the process started), MiB. */
export function memoryOf(pid: number): { readonly rssMiB: number; readonly peakMiB: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const field = (name: string) =>
    Number(new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(status)?.[1]) / 1024;
  return { rssMiB: field("VmRSS"), peakMiB: field("VmHWM") };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Waits for the rest of the machine to be quiet before a measurement. All waits of a scenario
 * draw on one budget (BENCH_QUIET_BUDGET_SECONDS), so a machine that stays busy makes the bench
 * report the load rather than take forever.
 */
export class QuietWaiter {
  constructor(
    public budgetMs: number,
    private readonly log: (line: string) => void,
  ) {}

  /** Until other load stays below `threshold` cores over 0.5 s (bounded by `maxWaitMs`). */
  async wait(options: {
    threshold: number;
    maxWaitMs?: number;
    measured?: Record<string, number>;
  }) {
    const started = Date.now();
    for (;;) {
      const meter = startCpuMeter(options.measured);
      await sleep(500);
      const { other } = meter.stop();
      const waitedMs = Date.now() - started;
      if (
        other < options.threshold ||
        waitedMs >= Math.min(options.maxWaitMs ?? Infinity, this.budgetMs)
      ) {
        this.budgetMs = Math.max(0, this.budgetMs - waitedMs);
        if (waitedMs > 1_000) {
          this.log(
            `waited ${(waitedMs / 1000).toFixed(1)} s for other load to drop (now ${other.toFixed(2)} cores)`,
          );
        }
        return { waitedMs, other };
      }
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
) {
  const cpuMs = () => readStat(pid)?.ownMs ?? 0;
  const started = Date.now();
  const first = cpuMs();
  for (;;) {
    const before = cpuMs();
    await sleep(1_000);
    const idleCores = (cpuMs() - before) / 1000;
    const waitedMs = Date.now() - started;
    const settled = idleCores < options.threshold;
    if (settled || waitedMs >= options.maxWaitMs) {
      return { waitedMs, cpuSeconds: (cpuMs() - first) / 1000, settled, idleCores };
    }
  }
}
