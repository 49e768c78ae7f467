/** CPU time and memory of processes, from /proc (Linux). */
import { readdirSync, readFileSync } from "node:fs";

/** USER_HZ: the unit of utime/stime in /proc/PID/stat (100 on every mainstream Linux build). */
export const TICK_MS = 10;

/**
 * utime + stime of one process (all its threads), in ms, plus, with `reapedChildren`, the time
 * of children it has waited for (cutime + cstime); 0 if the process is gone.
 */
export function processCpuMs(pid: number | "self", reapedChildren = false): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name may contain spaces: the fields after it start at field 3 (state).
    const f = stat
      .slice(stat.lastIndexOf(")") + 2)
      .split(" ")
      .map(Number);
    const own = (f[11] ?? 0) + (f[12] ?? 0);
    return (reapedChildren ? own + (f[13] ?? 0) + (f[14] ?? 0) : own) * TICK_MS;
  } catch {
    return 0;
  }
}

/**
 * PostgreSQL's CPU in ms: the postmaster, its live children (backends, background workers) and,
 * through the postmaster's cutime/cstime, the children that have exited — so the total only
 * grows, even when a pooled connection closes between two readings.
 */
export function clusterCpuMs(postmasterPid: number): number {
  let total = processCpuMs(postmasterPid, true);
  let children = "";
  try {
    children = readFileSync(`/proc/${postmasterPid}/task/${postmasterPid}/children`, "utf8");
  } catch {
    return total;
  }
  for (const child of children.split(/\s+/).filter(Boolean)) total += processCpuMs(Number(child));
  return total;
}

/** VmRSS and VmHWM (peak RSS) of a process, in MiB. */
export function memoryMiB(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const field = (name: string) => {
    const match = new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(status);
    return match?.[1] ? Number(match[1]) / 1024 : Number.NaN;
  };
  return { rss: field("VmRSS"), peak: field("VmHWM") };
}

/**
 * Busy CPU time of the whole machine in ms: `processes` is what is charged to processes
 * (user + nice + system), `all` adds interrupt and softirq time (much of loopback networking).
 */
export function machineBusyMs(): { processes: number; all: number } {
  const line = readFileSync("/proc/stat", "utf8").split("\n", 1)[0] ?? "";
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0] = line
    .trim()
    .split(/\s+/)
    .slice(1, 8)
    .map(Number);
  const processes = (user + nice + system) * TICK_MS;
  return { processes, all: processes + (irq + softirq) * TICK_MS };
}

/**
 * CPU ms of all kernel threads (children of kthreadd, e.g. ksoftirqd, which takes over loopback
 * network processing when the cores are busy): time that is nobody's process but may be ours.
 */
export function kernelThreadsCpuMs(): number {
  let total = 0;
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (name !== "2" && f[1] !== "2") continue;
      total += (Number(f[11]) + Number(f[12])) * TICK_MS;
    } catch {
      // gone meanwhile
    }
  }
  return total;
}
