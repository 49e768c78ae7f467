/** Self time of a V8 `.cpuprofile` (node --cpu-prof), by package and by function. */
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";

interface CpuProfile {
  readonly nodes: ReadonlyArray<{
    readonly id: number;
    readonly callFrame: { functionName: string; url: string; lineNumber: number };
    readonly children?: readonly number[];
  }>;
  /** CLOCK_MONOTONIC µs, the clock of process.hrtime in every process. */
  readonly startTime: number;
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

export interface ProfileEntry {
  readonly name: string;
  readonly selfMs: number;
  /** Share of the busy (non-idle) time. */
  readonly share: number;
}

export interface ProfileSummary {
  readonly windowMs: number;
  readonly busyMs: number;
  readonly byGroup: readonly ProfileEntry[];
  readonly byFunction: readonly ProfileEntry[];
  /** Total time (self + callees) of the functions that matter most, recursion counted once. */
  readonly inclusive: readonly ProfileEntry[];
}

/** Summarises the main thread's profile in `dir`, counting only samples inside `window`. */
export async function summarizeProfile(
  dir: string,
  window: { fromUs: number; toUs: number },
  top = 25,
): Promise<ProfileSummary> {
  let profile: CpuProfile | undefined;
  for (const name of (await readdir(dir)).filter((n) => n.endsWith(".cpuprofile"))) {
    const candidate = JSON.parse(await readFile(path.join(dir, name), "utf8")) as CpuProfile;
    // The main thread's profile is the biggest (tsx's loader thread writes a small one).
    if (!profile || candidate.samples.length > profile.samples.length) profile = candidate;
  }
  if (!profile) throw new Error(`no .cpuprofile in ${dir}`);
  const nodes = new Map(profile.nodes.map((node) => [node.id, node.callFrame]));
  const parents = new Map<number, number>();
  for (const node of profile.nodes)
    for (const child of node.children ?? []) parents.set(child, node.id);
  const selfUs = new Map<number, number>();
  let at = profile.startTime;
  profile.samples.forEach((id, i) => {
    at += profile.timeDeltas[i] ?? 0;
    if (at < window.fromUs || at > window.toUs) return;
    const delta = profile.timeDeltas[i + 1] ?? 0;
    selfUs.set(id, (selfUs.get(id) ?? 0) + Math.max(0, delta));
  });
  const byGroup = new Map<string, number>();
  const byFunction = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let busyUs = 0;
  for (const [id, us] of selfUs) {
    const frame = nodes.get(id);
    if (!frame || frame.functionName === "(idle)") continue;
    busyUs += us;
    const group = groupOf(frame.functionName, frame.url);
    byGroup.set(group, (byGroup.get(group) ?? 0) + us);
    const where = frame.url ? ` ${shortUrl(frame.url)}:${frame.lineNumber + 1}` : "";
    const name = `${frame.functionName || "(anonymous)"}${where}`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + us);
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parents.get(at)) {
      const caller = nodes.get(at);
      if (!caller?.url || caller.url.startsWith("node:")) continue;
      const label = `${caller.functionName || "(anonymous)"} ${shortUrl(caller.url)}:${caller.lineNumber + 1}`;
      if (seen.has(label)) continue;
      seen.add(label);
      inclusive.set(label, (inclusive.get(label) ?? 0) + us);
    }
  }
  const entries = (map: Map<string, number>, limit: number) =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, limit)
      .map(([name, us]) => ({ name, selfMs: us / 1000, share: busyUs > 0 ? us / busyUs : 0 }));
  return {
    windowMs: (window.toUs - window.fromUs) / 1000,
    busyMs: busyUs / 1000,
    byGroup: entries(byGroup, 12),
    byFunction: entries(byFunction, top),
    inclusive: entries(inclusive, 40),
  };
}

function shortUrl(url: string): string {
  const modules = url.lastIndexOf("node_modules/");
  if (modules >= 0) return url.slice(modules + "node_modules/".length);
  const src = url.indexOf("/src/");
  return src >= 0 ? url.slice(src + 1) : url.replace(/^file:\/\//, "");
}

function groupOf(functionName: string, url: string): string {
  if (!url) return functionName.startsWith("(") ? functionName : "native (V8 builtins, C++)";
  const modules = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (modules?.[1]) return modules[1];
  if (url.startsWith("node:"))
    return `node:${/^node:internal\/([^/]+)/.exec(url)?.[1] ?? url.slice(5)}`;
  if (url.includes("/src/")) return "tidings src/";
  if (url.includes("/bench/")) return "bench instrumentation";
  return url;
}
