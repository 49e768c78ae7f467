/**
 * Warm feed serving: the bytes Tidings serves for /feeds/world.rss, a correctness check of every
 * target before it is loaded, and the wrk runs themselves.
 */
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { brotliDecompressSync, gunzipSync } from "node:zlib";
import type { BaselineFiles } from "./baseline-server.ts";
import { type CpuUsage, quietBudgetLeftMs, startCpuMeter, waitForQuiet } from "./cpu.ts";
import { HttpClient, type HttpResponse } from "./http-client.ts";
import { pinProcessTree, processTree } from "./proc.ts";
import { median } from "./stats.ts";
import { runWrk, type WrkResult, type WrkSettings } from "./wrk.ts";

export const FEED_PATH = "/feeds/world.rss";

export type Coding = "identity" | "gzip";

export interface ServedFeed {
  readonly identity: Buffer;
  readonly gzip: Buffer;
  readonly brotli: Buffer;
  readonly meta: BaselineFiles;
}

const ACCEPT: Record<Coding | "br", string | undefined> = {
  identity: undefined,
  gzip: "gzip",
  br: "br",
};

async function get(client: HttpClient, coding: Coding | "br"): Promise<HttpResponse> {
  const accept = ACCEPT[coding];
  return client.request(FEED_PATH, accept ? { headers: { "accept-encoding": accept } } : {});
}

/** Fetches the feed in every coding from Tidings (which also warms its cache) and checks them. */
export async function captureServedFeed(origin: string): Promise<ServedFeed> {
  const client = new HttpClient(origin);
  try {
    const identity = await get(client, "identity");
    const gzip = await get(client, "gzip");
    const brotli = await get(client, "br");
    for (const [response, coding] of [
      [identity, undefined],
      [gzip, "gzip"],
      [brotli, "br"],
    ] as const) {
      if (response.status !== 200) throw new Error(`${FEED_PATH} answered ${response.status}`);
      if (response.headers["content-encoding"] !== coding) {
        throw new Error(
          `${FEED_PATH}: expected content-encoding ${coding}, got ${response.headers["content-encoding"]}`,
        );
      }
    }
    if (!gunzipSync(gzip.body).equals(identity.body)) throw new Error("gzip copy differs");
    if (!brotliDecompressSync(brotli.body).equals(identity.body)) {
      throw new Error("brotli copy differs");
    }
    return {
      identity: identity.body,
      gzip: gzip.body,
      brotli: brotli.body,
      meta: {
        contentType: String(identity.headers["content-type"]),
        etag: String(identity.headers.etag),
        lastModified: String(identity.headers["last-modified"]),
        cacheControl: String(identity.headers["cache-control"]),
      },
    };
  } finally {
    client.close();
  }
}

/**
 * Writes the served bytes for nginx (`www/feeds/world.rss` and the `gzip_static` copy
 * `world.rss.gz`) and for the baseline servers (plus `.br` and the headers). Returns the folder.
 */
export async function writeServedFeed(dir: string, feed: ServedFeed): Promise<string> {
  const feeds = path.join(dir, "www/feeds");
  await mkdir(feeds, { recursive: true });
  await writeFile(path.join(feeds, "world.rss"), feed.identity);
  await writeFile(path.join(feeds, "world.rss.gz"), feed.gzip);
  await writeFile(path.join(feeds, "world.rss.br"), feed.brotli);
  await writeFile(path.join(feeds, "world.rss.meta.json"), JSON.stringify(feed.meta));
  return feeds;
}

export interface TargetCheck {
  readonly status: number;
  readonly contentType: string;
  readonly contentEncoding: string;
  readonly bodyBytes: number;
  /** Size of the status line and headers as sent (approximate: from the parsed raw headers). */
  readonly headerBytes: number;
  readonly sameBytes: boolean;
}

/** One request as wrk will send it: must be 200 with exactly the expected body. */
export async function checkTarget(
  origin: string,
  coding: Coding,
  expected: Buffer,
): Promise<TargetCheck> {
  const client = new HttpClient(origin);
  try {
    const response = await get(client, coding);
    const raw = response.headers;
    let headerBytes = "HTTP/1.1 200 OK\r\n".length + 2;
    for (const [name, value] of Object.entries(raw)) {
      const values = Array.isArray(value) ? value : [value];
      for (const v of values) headerBytes += name.length + 2 + String(v).length + 2;
    }
    const check: TargetCheck = {
      status: response.status,
      contentType: String(raw["content-type"]),
      contentEncoding: String(raw["content-encoding"] ?? "identity"),
      bodyBytes: response.body.byteLength,
      headerBytes,
      sameBytes: response.body.equals(expected),
    };
    if (check.status !== 200 || !check.sameBytes || check.contentEncoding !== coding) {
      throw new Error(
        `${origin}${FEED_PATH} (${coding}) failed its check: ${JSON.stringify(check)}`,
      );
    }
    return check;
  } finally {
    client.close();
  }
}

export interface ServingTarget {
  readonly label: string;
  readonly server: "tidings" | "nginx" | "node" | "hono" | "app";
  readonly database?: "postgres" | "pglite";
  readonly origin: string;
  readonly pid: number;
  readonly coding: Coding;
  /** The bytes this target must serve (what Tidings served, for nginx and the baselines). */
  readonly feed: ServedFeed;
}

export interface RoundResult {
  readonly wrk: WrkResult;
  /** CPU use during the run, in cores: the server, wrk (+ this process), everything else. */
  readonly cpu: CpuUsage;
  /** wrk's bytes per response minus the expected response size (0 = exactly the bytes). */
  readonly bytesPerResponseDelta: number;
  readonly verified: boolean;
  /** The first attempt shared the machine with other load and was repeated once. */
  readonly repeated: boolean;
}

export interface ServingResult {
  readonly target: Omit<ServingTarget, "pid" | "feed">;
  readonly check: TargetCheck;
  readonly rounds: readonly RoundResult[];
  /** Rounds with other load within the limit; the figures below are over these when any. */
  readonly cleanRounds: number;
  /** Medians over the (clean) rounds. */
  readonly requestsPerSecond: number;
  readonly latencyMs: { readonly p50: number; readonly p99: number; readonly max: number };
  readonly bytesPerResponse: number;
  /** Server CPU time (all its threads and processes) per request, microseconds; median. */
  readonly cpuUsPerRequest: number;
  readonly minRequestsPerSecond: number;
  readonly maxRequestsPerSecond: number;
  /** The most "other" CPU load seen during one of its counted rounds, in cores. */
  readonly maxOtherLoad: number;
  readonly verified: boolean;
}

export interface ServingContext {
  readonly wrk: string;
  readonly script: string;
  readonly settings: WrkSettings;
  /** CPU pinning during load: the server on `server`, wrk on `client`; undefined = none. */
  readonly pinning: { taskset: string; server: string; client: string; all: string } | undefined;
  /** Other load (cores) above which a round is repeated once after waiting for quiet. */
  readonly otherLoadLimit: number;
}

export interface PreparedTarget {
  readonly target: ServingTarget;
  readonly check: TargetCheck;
}

function wrkOptions(context: ServingContext, target: ServingTarget) {
  return {
    wrk: context.wrk,
    script: context.script,
    url: `${target.origin}${FEED_PATH}`,
    header: target.coding === "gzip" ? "Accept-Encoding: gzip" : undefined,
    settings: context.settings,
    pin: context.pinning
      ? { taskset: context.pinning.taskset, cpus: context.pinning.client }
      : undefined,
  };
}

async function pinned<T>(context: ServingContext, pid: number, work: () => Promise<T>) {
  const { pinning } = context;
  if (pinning) await pinProcessTree(pinning.taskset, pid, pinning.server);
  try {
    return await work();
  } finally {
    if (pinning) await pinProcessTree(pinning.taskset, pid, pinning.all);
  }
}

/** Checks the target with one request, then warms it with a short wrk run. */
export async function prepareTarget(
  context: ServingContext,
  target: ServingTarget,
): Promise<PreparedTarget> {
  const expected = target.coding === "gzip" ? target.feed.gzip : target.feed.identity;
  const check = await checkTarget(target.origin, target.coding, expected);
  if (context.settings.warmupSeconds > 0) {
    await pinned(context, target.pid, () =>
      runWrk({
        ...wrkOptions(context, target),
        durationSeconds: context.settings.warmupSeconds,
      }),
    );
  }
  return { target, check };
}

/** One measured wrk run; repeated once (after waiting for quiet) if other load interfered. */
export async function measureRound(
  context: ServingContext,
  prepared: PreparedTarget,
): Promise<RoundResult> {
  const { target, check } = prepared;
  const pids = await processTree(target.pid);
  const attempt = async (repeated: boolean): Promise<RoundResult> => {
    const meter = startCpuMeter(pids);
    const wrk = await pinned(context, target.pid, () => runWrk(wrkOptions(context, target)));
    const cpu = meter.stop();
    const delta = wrk.bytesPerResponse - (check.bodyBytes + check.headerBytes);
    const errors = Object.values(wrk.errors).reduce((sum, n) => sum + n, 0);
    // The Date header and the like may differ by a few bytes from the checked response.
    const verified = wrk.requests > 0 && errors === 0 && Math.abs(delta) < 64;
    return { wrk, cpu, bytesPerResponseDelta: delta, verified, repeated };
  };
  const first = await attempt(false);
  if (first.cpu.other <= context.otherLoadLimit || quietBudgetLeftMs() <= 0) return first;
  await waitForQuiet({ maxWaitMs: 10_000, threshold: context.otherLoadLimit / 2 });
  const second = await attempt(true);
  return second.cpu.other < first.cpu.other ? second : { ...first, repeated: true };
}

/**
 * Medians over the rounds that had the machine to themselves (other load within the limit);
 * over all rounds when none did (then `cleanRounds` is 0 and the figures are less reliable).
 */
export function aggregate(
  prepared: PreparedTarget,
  rounds: readonly RoundResult[],
  otherLoadLimit: number,
): ServingResult {
  const { pid: _pid, feed: _feed, ...target } = prepared.target;
  const clean = rounds.filter((round) => round.cpu.other <= otherLoadLimit);
  const counted = clean.length > 0 ? clean : rounds;
  const rps = counted.map((round) => round.wrk.requestsPerSecond);
  return {
    target,
    check: prepared.check,
    rounds,
    cleanRounds: clean.length,
    requestsPerSecond: median(rps),
    latencyMs: {
      p50: median(counted.map((round) => round.wrk.latencyMs.p50)),
      p99: median(counted.map((round) => round.wrk.latencyMs.p99)),
      max: Math.max(...counted.map((round) => round.wrk.latencyMs.max)),
    },
    bytesPerResponse: median(counted.map((round) => round.wrk.bytesPerResponse)),
    cpuUsPerRequest: median(
      counted.map(
        (round) => (round.cpu.server * round.wrk.durationSeconds * 1e6) / round.wrk.requests,
      ),
    ),
    minRequestsPerSecond: Math.min(...rps),
    maxRequestsPerSecond: Math.max(...rps),
    maxOtherLoad: Math.max(...counted.map((round) => round.cpu.other)),
    verified: rounds.length > 0 && rounds.every((round) => round.verified),
  };
}

/**
 * Checks and warms every target, then measures them in `rounds` interleaved rounds (each round
 * runs every target once), so slow drifts of the machine spread over all targets alike.
 */
export async function measureTargets(
  context: ServingContext,
  targets: readonly ServingTarget[],
  log: (line: string) => void,
): Promise<ServingResult[]> {
  const prepared: PreparedTarget[] = [];
  for (const target of targets) {
    log(`check + ${context.settings.warmupSeconds}s warm-up: ${target.label}, ${target.coding}`);
    prepared.push(await prepareTarget(context, target));
  }
  const rounds: RoundResult[][] = prepared.map(() => []);
  for (let round = 1; round <= context.settings.rounds; round++) {
    const quiet = await waitForQuiet({ maxWaitMs: 15_000, threshold: context.otherLoadLimit / 2 });
    const waited =
      quiet.waitedMs > 1_000
        ? ` (waited ${(quiet.waitedMs / 1000).toFixed(0)} s for other load to settle; now ${quiet.other.toFixed(2)} cores)`
        : "";
    log(
      `round ${round}/${context.settings.rounds}: ${prepared.length} targets x ${context.settings.durationSeconds}s${waited}`,
    );
    for (const [i, target] of prepared.entries()) {
      rounds[i]?.push(await measureRound(context, target));
    }
  }
  return prepared.map((target, i) => aggregate(target, rounds[i] ?? [], context.otherLoadLimit));
}

export interface PairedRatio {
  /** Median over rounds of a's req/s divided by b's in the same round. */
  readonly ratio: number;
  readonly pairs: number;
  /** Pairs in which both runs had the machine to themselves (0: the ratio is over all pairs). */
  readonly cleanPairs: number;
}

/**
 * a/b throughput, paired by round (both measured minutes apart under the same conditions),
 * over the pairs where neither run shared the machine, else over all pairs.
 */
export function pairedRatio(
  a: ServingResult,
  b: ServingResult,
  otherLoadLimit: number,
): PairedRatio {
  const pairs = a.rounds.flatMap((round, i) => {
    const other = b.rounds[i];
    return other ? [[round, other] as const] : [];
  });
  const clean = pairs.filter(
    ([x, y]) => x.cpu.other <= otherLoadLimit && y.cpu.other <= otherLoadLimit,
  );
  const counted = clean.length > 0 ? clean : pairs;
  return {
    ratio: median(counted.map(([x, y]) => x.wrk.requestsPerSecond / y.wrk.requestsPerSecond)),
    pairs: pairs.length,
    cleanPairs: clean.length,
  };
}
