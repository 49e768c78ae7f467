/** Tidings (`src/entries/node/server.ts`) as a child process of the fan-out benchmark, and pushing to it. */
import { readFileSync } from "node:fs";
import { readFile, rm, stat, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import path from "node:path";
import { type Child, REPO_ROOT, startNodeChild } from "./children.ts";

export const ADMIN_TOKEN = "fanout-bench-admin-token-0123456789";

export interface TidingsOptions {
  readonly name: string;
  readonly databaseUrl: string;
  readonly deliveryConcurrency: number;
  /** Extra environment (the FANOUT_PATCH_* experiments of instrument.ts). */
  readonly extraEnv?: Readonly<Record<string, string>>;
  /** Write a V8 CPU profile of the server into this directory. */
  readonly cpuProfileDir?: string;
  readonly statsFile: string;
  /**
   * The same port for every server of a run: the port is part of PUBLIC_URL and so of the
   * feed's key id, and hosts that cached the key should find it again after a restart.
   */
  readonly port: number;
}

export interface Tidings {
  readonly origin: string;
  readonly child: Child;
  /** SQL statements sent so far, by kind, and memory (see instrument.ts); `gc` collects first. */
  queryCounts(gc?: boolean): Promise<QueryCounts>;
  stop(): Promise<void>;
}

export interface QueryCounts {
  readonly total: number;
  readonly counts: Record<string, number>;
  /** process.memoryUsage() of the server, bytes. */
  readonly memory: Record<string, number>;
}

/**
 * A free port below the ephemeral range (32768+ on Linux): the thousands of client connections
 * of a fan-out take ephemeral ports, and one of them could take a port picked from that range
 * before the server binds it. The server listens on all interfaces, so this probes the same.
 */
export async function pickPort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    const free = await new Promise<boolean>((resolve) => {
      const probe = createServer();
      probe.once("error", () => resolve(false));
      probe.listen(port, () => probe.close(() => resolve(true)));
    });
    if (free) return port;
  }
  throw new Error("no free port found between 20000 and 32000");
}

/** The V8 heap cap `npm start` sets (package.json), so the server is measured as it runs. */
function npmStartHeapFlags(): string[] {
  const packageJson = JSON.parse(readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")) as {
    scripts: Record<string, string>;
  };
  const flag = /--max-old-space-size=\d+/.exec(packageJson.scripts.start ?? "")?.[0];
  return flag ? [flag] : [];
}

export async function startTidings(options: TidingsOptions): Promise<Tidings> {
  const port = options.port;
  const origin = `http://127.0.0.1:${port}`;
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH ?? "",
    HOME: process.env.HOME ?? "",
    NODE_ENV: "production",
    PORT: String(port),
    PUBLIC_URL: origin,
    DATABASE_URL: options.databaseUrl,
    ADMIN_TOKEN,
    FEDERATION_ALLOW_PRIVATE_ADDRESS: "true",
    DELIVERY_CONCURRENCY: String(options.deliveryConcurrency),
    LOG_LEVEL: "warn",
    FEEDS_DIR: path.join(REPO_ROOT, "feeds"),
    FANOUT_STATS_FILE: options.statsFile,
    // e.g. FANOUT_SERVER_NODE_OPTIONS=--max-old-space-size=96 to see what a heap cap does.
    ...(process.env.FANOUT_SERVER_NODE_OPTIONS
      ? { NODE_OPTIONS: process.env.FANOUT_SERVER_NODE_OPTIONS }
      : {}),
    ...options.extraEnv,
  };
  const nodeFlags = [
    ...npmStartHeapFlags(),
    ...(options.cpuProfileDir
      ? ["--cpu-prof", `--cpu-prof-dir=${options.cpuProfileDir}`, "--cpu-prof-interval=500"]
      : []),
    // Only lets instrument.ts measure retained memory at the end; nothing else calls gc().
    "--expose-gc",
    "--import",
    "tsx",
    "--import",
    path.join(REPO_ROOT, "bench/fanout/instrument.ts"),
  ];
  await rm(options.statsFile, { force: true });
  const child = startNodeChild(options.name, "src/entries/node/server.ts", { env, nodeFlags });
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exited()) throw new Error(`${options.name} exited:\n${child.output()}`);
    try {
      if ((await fetch(`${origin}/healthz`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await child.stop(2_000);
      throw new Error(`${options.name} did not become healthy:\n${child.output()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }

  let lastSeq = 0;
  return {
    origin,
    child,
    async queryCounts(gc = false) {
      if (gc) await writeFile(`${options.statsFile}.gc`, "");
      else await rm(`${options.statsFile}.gc`, { force: true });
      child.process.kill("SIGUSR2");
      const until = Date.now() + 5_000;
      while (Date.now() < until) {
        const written = await stat(options.statsFile).catch(() => null);
        if (written) {
          const stats = JSON.parse(await readFile(options.statsFile, "utf8")) as QueryCounts & {
            seq: number;
          };
          if (stats.seq > lastSeq) {
            lastSeq = stats.seq;
            return { total: stats.total, counts: stats.counts, memory: stats.memory };
          }
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      throw new Error(`${options.name} did not report its query counts`);
    },
    stop: () => child.stop(15_000),
  };
}

/** A story of about the size of a real one (≈2.5 KB of HTML). */
export function storyInput(n: number) {
  const paragraph =
    "<p>Negotiators meeting in Geneva agreed on Tuesday to a ceasefire that is to take effect " +
    "at midnight, after three days of talks that both delegations described as difficult. The " +
    "agreement covers the northern provinces and provides for monitors, humanitarian corridors " +
    "and an exchange of prisoners within two weeks.</p>";
  return {
    headline: `Ceasefire agreed after three days of talks (fan-out bench #${n})`,
    standfirst: "Monitors, corridors and a prisoner exchange are part of the deal.",
    bodyHtml: paragraph.repeat(7),
    authors: [{ name: "Bench Reporter" }],
    tags: ["diplomacy", "ceasefire"],
    feeds: ["world"],
  };
}

/** Pushes a story; returns the round trip and the id of the Create it leads to. */
export async function pushStory(
  origin: string,
  n: number,
): Promise<{ publishMs: number; activityId: string; startedAt: number }> {
  const body = JSON.stringify(storyInput(n));
  const startedAt = Date.now();
  const t0 = performance.now();
  const response = await fetch(`${origin}/admin/articles`, {
    method: "POST",
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
    body,
  });
  const text = await response.text();
  const publishMs = performance.now() - t0;
  if (response.status !== 201) throw new Error(`push answered ${response.status}: ${text}`);
  const { id } = JSON.parse(text) as { id: string };
  return {
    publishMs,
    activityId: `${origin}/ap/feeds/world/articles/${id}/revisions/1/create`,
    startedAt,
  };
}
