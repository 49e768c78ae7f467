/**
 * Warm feed serving: the bytes Tidings serves for /feeds/world.rss, a check of every target
 * before it is loaded, and the wrk rounds themselves with the CPU they cost.
 */
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { brotliDecompressSync, gunzipSync } from "node:zlib";
import { HttpClient } from "../../harness/http-client.ts";
import { type QuietWaiter, startCpuMeter } from "../../harness/procfs.ts";
import { median } from "../../harness/report.ts";
import { runWrk, type WrkSettings } from "./wrk.ts";

export const FEED_PATH = "/feeds/world.rss";
export type Coding = "identity" | "gzip" | "br";
export type ServedFeed = Awaited<ReturnType<typeof captureServedFeed>>;

/** GET the feed with `coding`; it must answer 200 in that coding (and `expected`, if given). */
async function fetchFeed(origin: string, coding: Coding, expected?: Buffer) {
  const client = new HttpClient(origin);
  const response = await client.request(
    FEED_PATH,
    coding === "identity" ? {} : { headers: { "accept-encoding": coding } },
  );
  await client.close();
  const encoding = String(response.headers["content-encoding"] ?? "identity");
  if (
    response.status !== 200 ||
    encoding !== coding ||
    (expected && !expected.equals(response.body))
  ) {
    throw new Error(
      `${origin}${FEED_PATH} (${coding}): ${response.status}, ${encoding}, not the expected bytes`,
    );
  }
  return response;
}

/** The feed in every coding from Tidings (which warms its cache), checked against each other. */
export async function captureServedFeed(origin: string) {
  const [identity, gzip, brotli] = [
    await fetchFeed(origin, "identity"),
    await fetchFeed(origin, "gzip"),
    await fetchFeed(origin, "br"),
  ];
  if (
    !gunzipSync(gzip.body).equals(identity.body) ||
    !brotliDecompressSync(brotli.body).equals(identity.body)
  ) {
    throw new Error(`${origin}${FEED_PATH}: the compressed copies differ from the plain one`);
  }
  const header = (name: string) => String(identity.headers[name]);
  const meta = {
    contentType: header("content-type"),
    etag: header("etag"),
    lastModified: header("last-modified"),
    cacheControl: header("cache-control"),
    vary: header("vary"),
    /** The WebSub discovery header (hub and self); the baselines send it too. */
    link: identity.headers.link === undefined ? undefined : header("link"),
  };
  return { identity: identity.body, gzip: gzip.body, brotli: brotli.body, meta };
}

/**
 * Writes the served bytes for nginx (`www/feeds/world.rss` and the `gzip_static` copy
 * `world.rss.gz`) and for the baseline servers (plus `.br` and the headers). Returns the folder.
 */
export async function writeServedFeed(dir: string, feed: ServedFeed): Promise<string> {
  const feeds = path.join(dir, "www/feeds");
  await mkdir(feeds, { recursive: true });
  const files = {
    "": feed.identity,
    ".gz": feed.gzip,
    ".br": feed.brotli,
    ".meta.json": JSON.stringify(feed.meta),
  };
  for (const [suffix, data] of Object.entries(files))
    await writeFile(path.join(feeds, `world.rss${suffix}`), data);
  return feeds;
}

export interface ServingTarget {
  readonly label: string;
  readonly server: "tidings" | "nginx" | "node" | "hono" | "app";
  readonly database?: "postgres" | "pglite";
  readonly origin: string;
  readonly pid: number;
  readonly coding: "identity" | "gzip";
  /** The bytes this target must serve (what Tidings served, for nginx and the baselines). */
  readonly feed: ServedFeed;
}

export interface LoadSettings {
  readonly wrk: string;
  readonly script: string;
  readonly settings: WrkSettings;
  /** Other load (cores) above which a round is repeated once after waiting for quiet. */
  readonly otherLoadLimit: number;
  readonly quiet: QuietWaiter;
}

/**
 * One wrk run against the target. Nothing is pinned: a client held to one core is the bottleneck
 * and makes every server look alike, so wrk and the server share both cores as the kernel sees fit.
 */
function wrkRun(load: LoadSettings, target: ServingTarget, durationSeconds?: number) {
  const header = target.coding === "gzip" ? "Accept-Encoding: gzip" : undefined;
  return runWrk({ ...load, url: `${target.origin}${FEED_PATH}`, header, durationSeconds });
}

export type Round = Awaited<ReturnType<typeof measureRound>>;
export type ServingResult = ReturnType<typeof aggregate>;

/** One measured wrk run; repeated once (after waiting for quiet) if other load interfered. */
async function measureRound(load: LoadSettings, target: ServingTarget, responseBytes: number) {
  const attempt = async (repeated: boolean) => {
    const meter = startCpuMeter({ server: target.pid });
    const wrk = await wrkRun(load, target);
    const cpu = meter.stop();
    const bytesPerResponseDelta = wrk.bytesPerResponse - responseBytes;
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
  bodyBytes: number,
  rounds: readonly Round[],
  otherLoadLimit: number,
) {
  const { pid: _pid, feed: _feed, ...described } = target;
  const clean = rounds.filter((round) => round.cpu.other <= otherLoadLimit);
  const counted = clean.length > 0 ? clean : rounds;
  const of = (pick: (round: Round) => number) => median(counted.map(pick));
  const rps = counted.map((round) => round.wrk.requestsPerSecond);
  return {
    target: described,
    bodyBytes,
    rounds,
    cleanRounds: clean.length,
    requestsPerSecond: median(rps),
    minRequestsPerSecond: Math.min(...rps),
    maxRequestsPerSecond: Math.max(...rps),
    latencyMs: { p50: of((r) => r.wrk.latencyMs.p50), p99: of((r) => r.wrk.latencyMs.p99) },
    bytesPerResponse: of((r) => r.wrk.bytesPerResponse),
    /** The server's CPU time (all its threads and processes) per request, microseconds. */
    cpuUsPerRequest: of(
      (r) => ((r.cpu.cores.server ?? 0) * r.wrk.durationSeconds * 1e6) / r.wrk.requests,
    ),
    maxOtherLoad: Math.max(...counted.map((round) => round.cpu.other)),
    verified: rounds.length > 0 && rounds.every((round) => round.verified),
  };
}

/**
 * Checks every target with one request as wrk will send it (200, exactly the expected bytes)
 * and warms it with a short wrk run, then measures them in interleaved rounds (each round runs
 * every target once), so that slow drifts of the machine spread over all targets alike.
 */
export async function measureTargets(
  load: LoadSettings,
  targets: readonly ServingTarget[],
  log: (line: string) => void,
) {
  const sizes: { body: number; response: number }[] = [];
  for (const target of targets) {
    log(`check + ${load.settings.warmupSeconds}s warm-up: ${target.label}, ${target.coding}`);
    const { body, headers } = await fetchFeed(
      target.origin,
      target.coding,
      target.feed[target.coding],
    );
    // The status line and headers as sent, approximately (from the parsed headers).
    const headerBytes = Object.entries(headers).reduce(
      (sum, [name, value]) =>
        sum + [value].flat().reduce((n, v) => n + name.length + String(v).length + 4, 0),
      "HTTP/1.1 200 OK\r\n\r\n".length,
    );
    sizes.push({ body: body.byteLength, response: body.byteLength + headerBytes });
    if (load.settings.warmupSeconds > 0) await wrkRun(load, target, load.settings.warmupSeconds);
  }
  const rounds: Round[][] = targets.map(() => []);
  for (let round = 1; round <= load.settings.rounds; round++) {
    await load.quiet.wait({ maxWaitMs: 15_000, threshold: load.otherLoadLimit / 2 });
    log(
      `round ${round}/${load.settings.rounds}: ${targets.length} targets x ${load.settings.durationSeconds}s`,
    );
    for (const [i, target] of targets.entries())
      rounds[i]?.push(await measureRound(load, target, sizes[i]?.response ?? 0));
  }
  return targets.map((target, i) =>
    aggregate(target, sizes[i]?.body ?? 0, rounds[i] ?? [], load.otherLoadLimit),
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
  const ratio = median(counted.map(([x, y]) => x.wrk.requestsPerSecond / y.wrk.requestsPerSecond));
  return { ratio, pairs: pairs.length, cleanPairs: clean.length };
}

export type PairedRatio = ReturnType<typeof pairedRatio>;
