/** Summarises a V8 `.cpuprofile` (from `node --cpu-prof`): self time by function and by package. */
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";

interface ProfileNode {
  readonly id: number;
  readonly callFrame: {
    readonly functionName: string;
    readonly url: string;
    readonly lineNumber: number;
  };
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly startTime: number;
  readonly endTime: number;
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

export interface ProfileEntry {
  readonly name: string;
  readonly selfMs: number;
  /** Self time per request served, when the request count is known. */
  readonly usPerRequest: number | undefined;
  /** Share of the busy (non-idle) time. */
  readonly share: number;
}

export interface ProfileSummary {
  readonly file: string;
  /** Whether only the samples taken during the wrk runs were counted (else the whole run). */
  readonly windowed: boolean;
  readonly totalMs: number;
  readonly busyMs: number;
  readonly requests: number | undefined;
  readonly byFunction: readonly ProfileEntry[];
  readonly byGroup: readonly ProfileEntry[];
}

/** Sample times are CLOCK_MONOTONIC microseconds, the clock of `process.hrtime`. */
export interface ProfileWindow {
  readonly fromUs: number;
  readonly toUs: number;
}

export async function summarizeProfileDir(
  dir: string,
  window?: ProfileWindow,
  requests?: number,
  top = 15,
): Promise<ProfileSummary> {
  const files = (await readdir(dir)).filter((name) => name.endsWith(".cpuprofile")).sort();
  // The main thread's profile is the largest (tsx's loader thread writes a small one too).
  let best: { file: string; profile: CpuProfile } | undefined;
  for (const name of files) {
    const file = path.join(dir, name);
    const profile = JSON.parse(await readFile(file, "utf8")) as CpuProfile;
    if (!best || profile.samples.length > best.profile.samples.length) best = { file, profile };
  }
  if (!best) throw new Error(`no .cpuprofile in ${dir}`);
  const inWindow = window
    ? summarizeProfile(best.file, best.profile, top, window, requests)
    : undefined;
  // Fall back to the whole profile should the clocks not line up.
  return inWindow && inWindow.totalMs > 0
    ? inWindow
    : summarizeProfile(best.file, best.profile, top, undefined, undefined);
}

function summarizeProfile(
  file: string,
  profile: CpuProfile,
  top: number,
  window: ProfileWindow | undefined,
  requests: number | undefined,
): ProfileSummary {
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfUs = new Map<number, number>();
  let at = profile.startTime;
  profile.samples.forEach((id, i) => {
    at += profile.timeDeltas[i] ?? 0;
    if (window && (at < window.fromUs || at > window.toUs)) return;
    // timeDeltas[i] is the time since the previous sample; charge it to the next one's stack.
    const delta = profile.timeDeltas[i + 1] ?? 0;
    selfUs.set(id, (selfUs.get(id) ?? 0) + Math.max(0, delta));
  });
  const byFunction = new Map<string, number>();
  const byGroup = new Map<string, number>();
  let idleUs = 0;
  let totalUs = 0;
  for (const [id, us] of selfUs) {
    const node = nodes.get(id);
    if (!node) continue;
    totalUs += us;
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === "(idle)") {
      idleUs += us;
      continue;
    }
    const where = url ? `${shortUrl(url)}:${lineNumber + 1}` : "";
    const name = `${functionName || "(anonymous)"}${where ? ` ${where}` : ""}`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + us);
    const group = groupOf(functionName, url);
    byGroup.set(group, (byGroup.get(group) ?? 0) + us);
  }
  const busyUs = totalUs - idleUs;
  const entries = (map: Map<string, number>, limit: number) =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, limit)
      .map(([name, us]) => ({
        name,
        selfMs: us / 1000,
        usPerRequest: requests ? us / requests : undefined,
        share: busyUs > 0 ? us / busyUs : 0,
      }));
  return {
    file,
    windowed: window !== undefined,
    totalMs: totalUs / 1000,
    busyMs: busyUs / 1000,
    requests,
    byFunction: entries(byFunction, top),
    byGroup: entries(byGroup, 12),
  };
}

function shortUrl(url: string): string {
  const modules = url.lastIndexOf("node_modules/");
  if (modules >= 0) return url.slice(modules + "node_modules/".length);
  const src = url.indexOf("/src/");
  if (src >= 0) return url.slice(src + 1);
  return url.replace(/^file:\/\//, "");
}

/** Where a function lives: a package, Tidings' src/, Node's internals, or V8 itself. */
function groupOf(functionName: string, url: string): string {
  if (!url) {
    if (functionName.startsWith("(")) return functionName; // (garbage collector), (program)
    return "native (V8 builtins, C++)";
  }
  const modules = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (modules?.[1]) return modules[1];
  if (url.startsWith("node:")) {
    const internal = /^node:internal\/([^/]+)/.exec(url);
    return `node:${internal?.[1] ?? url.slice(5)}`;
  }
  if (url.includes("/src/")) return "tidings src/";
  return url;
}
