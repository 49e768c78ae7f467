/** The stampede scenario's goals and its section of the report (bench/README.md explains it). */
import { fixed, formatGoals, type Goal, int, ms, ratio, tableOf } from "../../harness/report.ts";
import type { BurstResult, StampedeResults } from "../stampede.ts";

const BURST_GOAL = 0.8;
const TARGETS = {
  feed: "warm feed",
  page: "page after publish",
  warmPage: "same page, warm",
} as const;

export function formatStampedeReport(results: StampedeResults, goals: readonly Goal[]): string {
  const { settings, environment: env } = results;
  const rows = results.rounds.flatMap((round) =>
    (["feed", "page", "warmPage"] as const).map((kind) => ({
      round: round.round,
      warmUp: round.warmUp,
      kind,
      burst: round[kind],
    })),
  );
  const check = (burst: BurstResult) =>
    burst.verified
      ? `ok: ${int(burst.requests)} x 200, one ETag`
      : `FAILED: ${JSON.stringify(burst.statuses)}, ${burst.etags} ETags, ${burst.errors} errors ${burst.firstError ?? ""}`;
  const { feed, page } = results.sustained;
  return [
    `Stampede (${results.durationSeconds.toFixed(0)} s): PostgreSQL ${env.postgres}; wrk ${env.wrk}`,
    `  ${int(settings.clients)} clients per burst from ${settings.clientProcesses} client processes, each GET on a ` +
      `fresh connection (keep-alive off on both sides: Connection: close), Accept-Encoding: gzip`,
    "",
    "1. Bursts, interleaved: the warm feed /feeds/world.rss, then a publish and at once its page,",
    "   then that page again (warm: the burst without the publish's own work); the warm-up rounds",
    "   (JIT) are listed, not counted",
    tableOf(rows, [
      ["round", (r) => (r.warmUp ? `warm-up` : String(r.round))],
      ["target", (r) => TARGETS[r.kind]],
      ["req/s", (r) => int(r.burst.requestsPerSecond)],
      ["wall", (r) => ms(r.burst.wallMs, 0)],
      ["p50", (r) => ms(r.burst.latencyMs.p50, 1)],
      ["p99", (r) => ms(r.burst.latencyMs.p99, 1)],
      ["CPU/req", (r) => `${fixed(r.burst.cpuUsPerRequest)} us`],
      [
        "SQL stmts",
        (r) => (r.burst.sqlStatements === null ? "n/a" : String(r.burst.sqlStatements)),
      ],
      ["body B", (r) => int(r.burst.bodyBytes)],
      ["other load", (r) => `${r.burst.otherLoad.toFixed(2)} cores`],
      ["check", (r) => check(r.burst)],
    ]),
    "",
    `  SQL stmts: statements Tidings ran on PostgreSQL during the burst (pg_stat_statements), its`,
    `  background work (relay, queues) included: the page's one read is a handful, not one per client.`,
    "",
    "2. Sustained: wrk (keep-alive, gzip) on the warm page and the warm feed, interleaved",
    tableOf(
      [
        ["warm feed", feed],
        ["warm page", page],
      ] as const,
      [
        ["target", ([name]) => name],
        ["req/s", ([, s]) => int(s.requestsPerSecond)],
        ["p99", ([, s]) => ms(s.p99Ms)],
        ["CPU/req", ([, s]) => `${fixed(s.cpuUsPerRequest)} us`],
        ["other load", ([, s]) => `${s.maxOtherLoad.toFixed(2)} cores`],
      ],
    ),
    `  wrk -t${settings.wrk.threads} -c${settings.wrk.connections} -d${settings.wrk.durationSeconds}s, ` +
      `${settings.wrk.rounds} round(s), medians; page/feed req/s ${ratio(results.sustained.ratio)}`,
    "",
    "Goals",
    formatGoals(goals),
  ].join("\n");
}

const verified = (round: StampedeResults["rounds"][number]) =>
  round.feed.verified && round.page.verified && round.warmPage.verified;

export function stampedeGoals(results: StampedeResults): Goal[] {
  const otherLoad = Math.max(
    ...results.rounds
      .filter((round) => !round.warmUp)
      .flatMap((round) => [round.feed.otherLoad, round.page.otherLoad]),
  );
  const reliable = otherLoad <= results.settings.otherLoadLimit;
  return [
    {
      name: "stampede: page after publish / warm feed, burst req/s",
      goal: `>= ${BURST_GOAL.toFixed(2)}x`,
      measured: `${ratio(results.burstRatio)} (median of ${results.settings.rounds} rounds)`,
      pass: results.burstRatio >= BURST_GOAL,
      reliable,
    },
    {
      name: "  burst p99, page / feed",
      goal: "",
      measured: ratio(results.burstP99Ratio),
    },
    {
      name: "stampede: every response 200 with one ETag",
      goal: "all",
      measured: results.rounds.every(verified) ? "all" : "not all",
      pass: results.rounds.every(verified),
    },
  ];
}
