/** Pushing stories through the admin API: seeding, push latency, push-to-visible latency. */
import { HttpClient } from "../../harness/http-client.ts";
import { summarize } from "../../harness/report.ts";
import { postArticle, type TidingsServer } from "../../harness/tidings.ts";
import { articlePush, FEED_SLUG } from "./articles.ts";

export interface PushTarget {
  readonly server: TidingsServer;
  readonly adminToken: string;
}

/** Runs `work` with `count` kept-alive connections, closed afterwards. */
async function withClients<T>(
  origin: string,
  count: number,
  work: (clients: HttpClient[]) => Promise<T>,
) {
  const clients = Array.from({ length: count }, () => new HttpClient(origin));
  try {
    return await work(clients);
  } finally {
    for (const client of clients) client.close();
  }
}

/** `count` full-content stories, published a minute apart in the past (the newest last). */
export function seedArticles(target: PushTarget, count: number, run: string): Promise<void> {
  return withClients(target.server.origin, 1, async ([client]) => {
    const newest = Math.floor(Date.now() / 60_000) * 60_000 - 60_000;
    for (let i = 0; i < count; i++) {
      const publishedAt = new Date(newest - (count - 1 - i) * 60_000);
      await postArticle(
        client as HttpClient,
        target.adminToken,
        articlePush(`${run} seed ${i + 1}`, publishedAt),
      );
    }
  });
}

/** Sequential pushes on one kept-alive connection; latency from request start to response end. */
export function measurePushLatency(
  target: PushTarget,
  options: { warmup: number; count: number; run: string },
) {
  return withClients(target.server.origin, 1, async ([client]) => {
    const samples: number[] = [];
    for (let i = 0; i < options.warmup + options.count; i++) {
      const body = articlePush(`${options.run} push ${i + 1}`);
      const started = performance.now();
      await postArticle(client as HttpClient, target.adminToken, body);
      if (i >= options.warmup) samples.push(performance.now() - started);
    }
    return summarize(samples);
  });
}

export type VisibilityResult = Awaited<ReturnType<typeof measurePushToVisible>>;

/**
 * Pushes a story, then at once polls `/feeds/world.rss` and `/feeds/world.json` (each on its own
 * kept-alive connection, concurrently) until the headline appears; measured from the moment the
 * push response arrived. `pollsMedian`: GETs per push until visible (both formats together).
 */
export function measurePushToVisible(
  target: PushTarget,
  options: { count: number; run: string; deadlineMs: number },
) {
  return withClients(target.server.origin, 3, async ([pusher, ...pollers]) => {
    const visible = { rss: [] as number[], json: [] as number[] };
    const polls: number[] = [];
    let timedOut = 0;
    for (let i = 0; i < options.count; i++) {
      const marker = `${options.run} visible ${i + 1}`;
      await postArticle(pusher as HttpClient, target.adminToken, articlePush(marker));
      const pushed = performance.now();
      const results = await Promise.all(
        (["rss", "json"] as const).map(async (format, j) => {
          const result = await pollUntilVisible(
            pollers[j] as HttpClient,
            `/feeds/${FEED_SLUG}.${format}`,
            marker,
            pushed,
            options.deadlineMs,
          );
          if (result.visibleAfterMs === undefined) timedOut++;
          else visible[format].push(result.visibleAfterMs);
          return result.polls;
        }),
      );
      polls.push(results.reduce((sum, n) => sum + n, 0));
    }
    return {
      rss: summarize(visible.rss),
      json: summarize(visible.json),
      pollsMedian: summarize(polls).p50,
      timedOut,
    };
  });
}

async function pollUntilVisible(
  client: HttpClient,
  path: string,
  marker: string,
  since: number,
  deadlineMs: number,
) {
  let polls = 0;
  // Bounded: at most `deadlineMs` of polling, back to back.
  while (performance.now() - since < deadlineMs) {
    polls++;
    const response = await client.request(path);
    if (response.status !== 200) throw new Error(`GET ${path} answered ${response.status}`);
    if (response.body.includes(marker)) return { visibleAfterMs: performance.now() - since, polls };
  }
  return { visibleAfterMs: undefined, polls };
}
