/**
 * Summarises a V8 `.cpuprofile` (from `node --cpu-prof`): self time by package and by function,
 * and inclusive time (self + callees) of our and the packages' functions, over a time window.
 */
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";

interface CpuProfile {
  readonly nodes: ReadonlyArray<{
    readonly id: number;
    readonly callFrame: { functionName: string; url: string; lineNumber: number };
    readonly children?: readonly number[];
  }>;
  /** CLOCK_MONOTONIC microseconds, the clock of `process.hrtime` in every process. */
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
  readonly file: string;
  /** Whether only the samples inside the window were counted (else the whole profile). */
  readonly windowed: boolean;
  readonly totalMs: number;
  readonly busyMs: number;
  readonly byGroup: readonly ProfileEntry[];
  readonly byFunction: readonly ProfileEntry[];
  readonly inclusive: readonly ProfileEntry[];
}

/** `process.hrtime` now, in the profile's unit, to mark a window. */
export const profileClockUs = () => Number(process.hrtime.bigint() / 1000n);

/**
 * Summarises the main thread's profile in `dir` (the largest file: tsx's loader thread writes a
 * small one too), counting the samples inside `window`, or all of them should none fall inside.
 */
export async function summarizeProfile(
  dir: string,
  window?: { fromUs: number; toUs: number },
  top = 25,
): Promise<ProfileSummary> {
  let best: { file: string; profile: CpuProfile } | undefined;
  for (const name of (await readdir(dir)).filter((n) => n.endsWith(".cpuprofile"))) {
    const file = path.join(dir, name);
    const profile = JSON.parse(await readFile(file, "utf8")) as CpuProfile;
    if (!best || profile.samples.length > best.profile.samples.length) best = { file, profile };
  }
  if (!best) throw new Error(`no .cpuprofile in ${dir}`);
  const inWindow = window ? summarize(best.file, best.profile, top, window) : undefined;
  return inWindow && inWindow.totalMs > 0 ? inWindow : summarize(best.file, best.profile, top);
}

function summarize(
  file: string,
  profile: CpuProfile,
  top: number,
  window?: { fromUs: number; toUs: number },
): ProfileSummary {
  const frames = new Map(profile.nodes.map((node) => [node.id, node.callFrame]));
  const parents = new Map<number, number>();
  for (const node of profile.nodes)
    for (const child of node.children ?? []) parents.set(child, node.id);
  const selfUs = new Map<number, number>();
  let at = profile.startTime;
  profile.samples.forEach((id, i) => {
    at += profile.timeDeltas[i] ?? 0;
    if (window && (at < window.fromUs || at > window.toUs)) return;
    // timeDeltas[i] is the time since the previous sample; charge it to the next one's stack.
    selfUs.set(id, (selfUs.get(id) ?? 0) + Math.max(0, profile.timeDeltas[i + 1] ?? 0));
  });
  const byGroup = new Map<string, number>();
  const byFunction = new Map<string, number>();
  const inclusive = new Map<string, number>();
  const add = (map: Map<string, number>, key: string, us: number) =>
    map.set(key, (map.get(key) ?? 0) + us);
  let totalUs = 0;
  let busyUs = 0;
  for (const [id, us] of selfUs) {
    const frame = frames.get(id);
    totalUs += us;
    if (!frame || frame.functionName === "(idle)") continue;
    busyUs += us;
    add(byGroup, groupOf(frame.functionName, frame.url), us);
    add(byFunction, nameOf(frame), us);
    // Every caller on the stack once (recursion counted once), Node's internals left out.
    const seen = new Set<string>();
    for (let caller: number | undefined = id; caller !== undefined; caller = parents.get(caller)) {
      const callerFrame = frames.get(caller);
      if (!callerFrame?.url || callerFrame.url.startsWith("node:")) continue;
      const name = nameOf(callerFrame);
      if (!seen.has(name)) add(inclusive, name, us);
      seen.add(name);
    }
  }
  const entries = (map: Map<string, number>, limit: number) =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, limit)
      .map(([name, us]) => ({ name, selfMs: us / 1000, share: busyUs > 0 ? us / busyUs : 0 }));
  return {
    file,
    windowed: window !== undefined,
    totalMs: totalUs / 1000,
    busyMs: busyUs / 1000,
    byGroup: entries(byGroup, 12),
    byFunction: entries(byFunction, top),
    inclusive: entries(inclusive, 40),
  };
}

function nameOf(frame: { functionName: string; url: string; lineNumber: number }): string {
  const where = frame.url ? ` ${shortUrl(frame.url)}:${frame.lineNumber + 1}` : "";
  return `${frame.functionName || "(anonymous)"}${where}`;
}

function shortUrl(url: string): string {
  const modules = url.lastIndexOf("node_modules/");
  if (modules >= 0) return url.slice(modules + "node_modules/".length);
  const src = url.indexOf("/src/");
  return src >= 0 ? url.slice(src + 1) : url.replace(/^file:\/\//, "");
}

/** Where a function lives: a package, Tidings' src/, Node's internals, or V8 itself. */
function groupOf(functionName: string, url: string): string {
  if (!url) return functionName.startsWith("(") ? functionName : "native (V8 builtins, C++)";
  const modules = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (modules?.[1]) return modules[1];
  if (url.startsWith("node:"))
    return `node:${/^node:internal\/([^/]+)/.exec(url)?.[1] ?? url.slice(5)}`;
  return url.includes("/src/") ? "tidings src/" : url;
}
