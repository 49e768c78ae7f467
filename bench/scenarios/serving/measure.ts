/**
 * Warm feed serving: the bytes Tidings serves for /feeds/world.rss, a correctness check of every
 * target before it is loaded, and the wrk runs themselves, with the CPU they cost.
 */
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { brotliDecompressSync, gunzipSync } from "node:zlib";
import { HttpClient } from "../../harness/http-client.ts";
import {
  type CpuUsage,
  pinProcessTree,
  type QuietWaiter,
  startCpuMeter,
} from "../../harness/procfs.ts";
import { median } from "../../harness/report.ts";
import { runWrk, type WrkResult, type WrkSettings } from "./wrk.ts";

export const FEED_PATH = "/feeds/world.rss";
export type Coding = "identity" | "gzip";
export type ServedFeed = Awaited<ReturnType<typeof captureServedFeed>>;

const get = (client: HttpClient, coding: Coding | "br") =>
  client.request(
    FEED_PATH,
    coding === "identity" ? {} : { headers: { "accept-encoding": coding } },
  );

/** Fetches the feed in every coding from Tidings (which also warms its cache) and checks them. */
export async function captureServedFeed(origin: string) {
  const client = new HttpClient(origin);
  try {
    const [identity, gzip, brotli] = [
      await get(client, "identity"),
      await get(client, "gzip"),
      await get(client, "br"),
    ];
    for (const [response, coding] of [
      [identity, undefined],
      [gzip, "gzip"],
      [brotli, "br"],
    ] as const) {
      if (response.status !== 200) throw new Error(`${FEED_PATH} answered ${response.status}`);
      const encoding = response.headers["content-encoding"];
      if (encoding !== coding)
        throw new Error(`${FEED_PATH}: expected content-encoding ${coding}, got ${encoding}`);
    }
    if (!gunzipSync(gzip.body).equals(identity.body)) throw new Error("gzip copy differs");
    if (!brotliDecompressSync(brotli.body).equals(identity.body))
      throw new Error("brotli copy differs");
    const header = (name: string) => String(identity.headers[name]);
    return {
      identity: identity.body,
      gzip: gzip.body,
      brotli: brotli.body,
      meta: {
        contentType: header("content-type"),
        etag: header("etag"),
        lastModified: header("last-modified"),
        cacheControl: header("cache-control"),
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

/** One request as wrk will send it: must be 200 with exactly the expected body. */
async function checkTarget(target: ServingTarget) {
  const expected = target.coding === "gzip" ? target.feed.gzip : target.feed.identity;
  const client = new HttpClient(target.origin);
  try {
    const response = await get(client, target.coding);
    // The status line and headers as sent, approximately (from the parsed headers).
    let headerBytes = "HTTP/1.1 200 OK\r\n".length + 2;
    for (const [name, value] of Object.entries(response.headers)) {
      for (const v of [value].flat()) headerBytes += name.length + 2 + String(v).length + 2;
    }
    const check = {
      status: response.status,
      contentType: String(response.headers["content-type"]),
      contentEncoding: String(response.headers["content-encoding"] ?? "identity"),
      bodyBytes: response.body.byteLength,
      headerBytes,
      sameBytes: response.body.equals(expected),
    };
    if (check.status !== 200 || !check.sameBytes || check.contentEncoding !== target.coding) {
      throw new Error(
        `${target.origin}${FEED_PATH} (${target.coding}) failed its check: ${JSON.stringify(check)}`,
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

export interface LoadSettings {
  readonly wrk: string;
  readonly script: string;
  readonly settings: WrkSettings;
  /** CPU pinning during load: the server on `server`, wrk on `client`; undefined = none. */
  readonly pinning: { taskset: string; server: string; client: string; all: string } | undefined;
  /** Other load (cores) above which a round is repeated once after waiting for quiet. */
  readonly otherLoadLimit: number;
  readonly quiet: QuietWaiter;
}

/** One wrk run against the target, with the server (all its threads) and wrk pinned if pinning. */
async function wrkRun(
  load: LoadSettings,
  target: ServingTarget,
  durationSeconds?: number,
): Promise<WrkResult> {
  const { pinning } = load;
  if (pinning) await pinProcessTree(pinning.taskset, target.pid, pinning.server);
  try {
    return await runWrk({
      wrk: load.wrk,
      script: load.script,
      url: `${target.origin}${FEED_PATH}`,
      header: target.coding === "gzip" ? "Accept-Encoding: gzip" : undefined,
      settings: load.settings,
      ...(durationSeconds ? { durationSeconds } : {}),
      pin: pinning ? { taskset: pinning.taskset, cpus: pinning.client } : undefined,
    });
  } finally {
    if (pinning) await pinProcessTree(pinning.taskset, target.pid, pinning.all);
  }
}

type Check = Awaited<ReturnType<typeof checkTarget>>;
export type Round = Awaited<ReturnType<typeof measureRound>>;
export type ServingResult = ReturnType<typeof aggregate>;

/** One measured wrk run; repeated once (after waiting for quiet) if other load interfered. */
async function measureRound(load: LoadSettings, target: ServingTarget, check: Check) {
  const attempt = async (repeated: boolean) => {
    const meter = startCpuMeter({ server: target.pid });
    const wrk = await wrkRun(load, target);
    const cpu: CpuUsage = meter.stop();
    /** wrk's bytes per response minus the checked response's (0 = exactly those bytes). */
    const bytesPerResponseDelta = wrk.bytesPerResponse - (check.bodyBytes + check.headerBytes);
    const errors = Object.values(wrk.errors).reduce((sum, n) => sum + n, 0);
    // The Date header and the like may differ by a few bytes from the checked response.
    const verified = wrk.requests > 0 && errors === 0 && Math.abs(bytesPerResponseDelta) < 64;
    return { wrk, cpu, bytesPerResponseDelta, verified, repeated };
  };
  const first = await attempt(false);
  if (first.cpu.other <= load.otherLoadLimit || load.quiet.budgetMs <= 0) return first;
  await load.quiet.wait({ maxWaitMs: 10_000, threshold: load.otherLoadLimit / 2 });
  const second = await attempt(true);
  return second.cpu.other < first.cpu.other ? second : { ...first, repeated: true };
}

/**
 * Medians over the rounds that had the machine to themselves (other load within the limit);
 * over all rounds when none did (then `cleanRounds` is 0 and the figures are less reliable).
 */
function aggregate(
  target: ServingTarget,
  check: Check,
  rounds: readonly Round[],
  otherLoadLimit: number,
) {
  const { pid: _pid, feed: _feed, ...described } = target;
  const clean = rounds.filter((round) => round.cpu.other <= otherLoadLimit);
  const counted = clean.length > 0 ? clean : rounds;
  const rps = counted.map((round) => round.wrk.requestsPerSecond);
  return {
    target: described,
    check,
    rounds,
    cleanRounds: clean.length,
    requestsPerSecond: median(rps),
    latencyMs: {
      p50: median(counted.map((round) => round.wrk.latencyMs.p50)),
      p99: median(counted.map((round) => round.wrk.latencyMs.p99)),
      max: Math.max(...counted.map((round) => round.wrk.latencyMs.max)),
    },
    bytesPerResponse: median(counted.map((round) => round.wrk.bytesPerResponse)),
    /** The server's CPU time (all its threads and processes) per request, microseconds. */
    cpuUsPerRequest: median(
      counted.map(
        (r) => ((r.cpu.cores.server ?? 0) * r.wrk.durationSeconds * 1e6) / r.wrk.requests,
      ),
    ),
    minRequestsPerSecond: Math.min(...rps),
    maxRequestsPerSecond: Math.max(...rps),
    /** The most other load seen during one of its counted rounds, in cores. */
    maxOtherLoad: Math.max(...counted.map((round) => round.cpu.other)),
    verified: rounds.length > 0 && rounds.every((round) => round.verified),
  };
}

/**
 * Checks every target with one request and warms it with a short wrk run, then measures them in
 * interleaved rounds (each round runs every target once), so slow drifts of the machine spread
 * over all targets alike.
 */
export async function measureTargets(
  load: LoadSettings,
  targets: readonly ServingTarget[],
  log: (line: string) => void,
) {
  const checks: Check[] = [];
  for (const target of targets) {
    log(`check + ${load.settings.warmupSeconds}s warm-up: ${target.label}, ${target.coding}`);
    checks.push(await checkTarget(target));
    if (load.settings.warmupSeconds > 0) await wrkRun(load, target, load.settings.warmupSeconds);
  }
  const rounds: Round[][] = targets.map(() => []);
  for (let round = 1; round <= load.settings.rounds; round++) {
    await load.quiet.wait({ maxWaitMs: 15_000, threshold: load.otherLoadLimit / 2 });
    log(
      `round ${round}/${load.settings.rounds}: ${targets.length} targets x ${load.settings.durationSeconds}s`,
    );
    for (const [i, target] of targets.entries()) {
      rounds[i]?.push(await measureRound(load, target, checks[i] as Check));
    }
  }
  return targets.map((target, i) =>
    aggregate(target, checks[i] as Check, rounds[i] ?? [], load.otherLoadLimit),
  );
}

/**
 * a/b throughput, paired by round (both measured minutes apart under the same conditions), the
 * median over the pairs in which neither run shared the machine, else over all pairs.
 */
export function pairedRatio(a: ServingResult, b: ServingResult, otherLoadLimit: number) {
  const pairs = a.rounds.flatMap((round, i) =>
    b.rounds[i] ? [[round, b.rounds[i]] as const] : [],
  );
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

export type PairedRatio = ReturnType<typeof pairedRatio>;
