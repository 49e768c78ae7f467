/**
 * Live updates: does an update reach readers and followers as fast as a story does?
 * (a) update push to visible: `POST /admin/articles/ID/updates`, then RSS and JSON Feed polled
 * until the update shows (as serving measures it for stories), with no followers yet;
 * (b) fan-out: 10,000 followers of `world` on 1,000 loopback hosts (the fan-out farm,
 * fanout/farm-child.ts), a story's Create and a live update's Create (a Note replying to it)
 * pushed in turn on one Tidings, same run: the ratio of their times to the last host, and the
 * CPU per delivery of each. bench/README.md says what a run does and lists its settings.
 */
import { freePort } from "../../test/support/free-port.ts";
import { HttpClient } from "../harness/http-client.ts";
import { benchPool, startPostgres } from "../harness/postgres.ts";
import { type BenchContext, envNumber, envText, type Scenario } from "../harness/scenario.ts";
import { postArticle, printedLines, startTidings } from "../harness/tidings.ts";
import {
  type FanoutTarget,
  fanOutOnce,
  insertFollowers,
  type Step,
  startFarm,
  storyInput,
} from "./fanout.ts";
import { measurePushToVisible, type PushTarget } from "./serving/push.ts";
import { formatUpdatesReport, updatesGoals } from "./updates/report.ts";

const ADMIN_TOKEN = "updates-bench-admin-token-0123456789";
const WARM: Step = { temperature: "warm", delayMs: 0, clearKeyCaches: false };
const COLD: Step = { temperature: "cold", delayMs: 0, clearKeyCaches: true };

export type UpdatesResults = Awaited<ReturnType<typeof measure>>;
export type FanoutRun = Awaited<ReturnType<typeof fanOutOnce>> & {
  readonly kind: "article" | "update";
};

/** A live update of about the size editors post: a bold line and two short paragraphs. */
function updateInput(marker: string) {
  const paragraph =
    "<p>The delegations resumed talks after a short break; a spokesman said both sides had " +
    "tabled written proposals on the monitoring of the ceasefire lines.</p>";
  return { headline: marker, bodyHtml: paragraph.repeat(2), authors: [{ name: "Bench Desk" }] };
}

/** POST /admin/articles/ID/updates; returns the new update's id. */
async function postUpdate(client: HttpClient, articleId: string, marker: string) {
  const response = await client.request(`/admin/articles/${articleId}/updates`, {
    method: "POST",
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
    body: JSON.stringify(updateInput(marker)),
  });
  if (response.status !== 201) {
    throw new Error(`POST …/updates answered ${response.status}: ${response.body}`);
  }
  return (JSON.parse(response.body.toString("utf8")) as { id: string }).id;
}

function settingsOf(quick: boolean) {
  return {
    hosts: envNumber("UPDATES_HOSTS", 1000),
    actorsPerHost: envNumber("UPDATES_ACTORS_PER_HOST", 10),
    firstAddress: envText("UPDATES_FIRST_ADDRESS", "127.0.64.1"),
    /** Updates pushed and polled for until visible in RSS and JSON Feed. */
    visiblePushes: envNumber("UPDATES_VISIBLE_PUSHES", quick ? 5 : 30),
    /** Rounds of one story and one update fan-out each (the order alternating per round). */
    rounds: envNumber("UPDATES_ROUNDS", quick ? 1 : 3),
  };
}

async function measure(context: BenchContext) {
  const { log } = context;
  const settings = settingsOf(context.quick);
  const postgres = await startPostgres("tidings_updates");
  context.defer(() => postgres.stop());
  const db = benchPool(postgres, context);
  const { farm, ready } = await startFarm(log, settings);
  const rig: FanoutTarget = { context, postgres, db, farm, runTimeoutMs: 180_000 };
  const server = await startTidings({
    name: "tidings-updates",
    adminToken: ADMIN_TOKEN,
    databaseUrl: postgres.url,
    port: await freePort(),
    env: { FEDERATION_ALLOW_PRIVATE_ADDRESS: "true" },
  });
  const client = new HttpClient(server.origin);
  try {
    // (a) Before any follower: the feeds alone, as serving measures stories.
    const story = await postArticle(client, ADMIN_TOKEN, storyInput(0));
    await context.quiet.wait({ threshold: 0.2, measured: { postgres: postgres.pid } });
    const target: PushTarget = { origin: server.origin, adminToken: ADMIN_TOKEN };
    const visibility = await measurePushToVisible(
      target,
      settings.visiblePushes,
      `updates-${Date.now()}`,
      5_000,
      async (pusher, _target, marker) => {
        await postUpdate(pusher, story, marker);
      },
    );
    log(
      `update push to visible: RSS p50 ${visibility.rss.p50.toFixed(1)} ms, JSON Feed p50 ${visibility.json.p50.toFixed(1)} ms`,
    );

    // (b) The followers, then a cold story push (every host fetches the feed's key; not
    // counted), then stories and updates in turn.
    await insertFollowers(db, ready);
    let n = 0;
    const pushStory = (step: Step) =>
      fanOutOnce(rig, server, step, async () => {
        const id = await postArticle(client, ADMIN_TOKEN, storyInput(++n));
        return `${server.origin}/ap/feeds/world/articles/${id}/revisions/1/create`;
      });
    const pushUpdate = (step: Step) =>
      fanOutOnce(rig, server, step, async () => {
        const id = await postUpdate(client, story, `Fan-out update #${++n}`);
        return `${server.origin}/ap/feeds/world/articles/${story}/updates/${id}/revisions/1/create`;
      });
    const cold = await pushStory(COLD);
    log(`cold story push: ${cold.hosts} hosts in ${cold.allHostsMs} ms (not counted)`);
    const runs: FanoutRun[] = [];
    for (let round = 0; round < settings.rounds; round++) {
      const order =
        round % 2 === 0 ? (["article", "update"] as const) : (["update", "article"] as const);
      for (const kind of order) {
        const run = { kind, ...(await (kind === "article" ? pushStory : pushUpdate)(WARM)) };
        runs.push(run);
        log(
          `round ${round + 1}, ${kind}: ${run.hosts} hosts in ${run.allHostsMs} ms, ` +
            `${run.serverCpuMsPerDelivery.toFixed(2)} CPU ms/delivery, others ${run.otherCores.toFixed(2)}`,
        );
      }
    }
    return { settings, postgres: postgres.version, visibility, coldStory: cold, runs };
  } finally {
    await client.close();
    await server.stop();
    const printed = printedLines(server);
    if (printed.length > 0)
      log(`tidings printed ${printed.length} lines: ${printed.slice(-3).join(" | ")}`);
  }
}

export default {
  name: "updates",
  summary: "live update push to visible in feeds; update vs story fan-out to 1,000 hosts",
  timeoutMinutes: 15,
  async run(context) {
    const results = await measure(context);
    const goals = updatesGoals(results);
    return { results: { ...results, goals }, report: formatUpdatesReport(results, goals) };
  },
} satisfies Scenario;
