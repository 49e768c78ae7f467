/** Pushing stories through the admin API: seeding, push latency, push-to-visible latency. */
import { performance } from "node:perf_hooks";
import { articlePush, FEED_SLUG } from "./articles.ts";
import { HttpClient } from "./http-client.ts";
import { type Summary, summarize } from "./stats.ts";

export interface PushTarget {
  readonly origin: string;
  readonly adminToken: string;
}

async function push(
  client: HttpClient,
  target: PushTarget,
  body: ReturnType<typeof articlePush>,
): Promise<void> {
  const response = await client.request("/admin/articles", {
    method: "POST",
    headers: {
      authorization: `Bearer ${target.adminToken}`,
      "content-type": "application/json",
    },
    body: JSON.stringify(body),
  });
  if (response.status !== 201) {
    throw new Error(`POST /admin/articles answered ${response.status}: ${response.body}`);
  }
}

/** `count` full-content stories, published a minute apart in the past (the newest last). */
export async function seedArticles(target: PushTarget, count: number, run: string): Promise<void> {
  const client = new HttpClient(target.origin);
  try {
    const newest = Math.floor(Date.now() / 60_000) * 60_000 - 60_000;
    for (let i = 0; i < count; i++) {
      const publishedAt = new Date(newest - (count - 1 - i) * 60_000);
      await push(client, target, articlePush(`${run} seed ${i + 1}`, publishedAt));
    }
  } finally {
    client.close();
  }
}

/** Sequential pushes on one kept-alive connection; latency from request start to response end. */
export async function measurePushLatency(
  target: PushTarget,
  options: { warmup: number; count: number; run: string },
): Promise<Summary> {
  const client = new HttpClient(target.origin);
  const samples: number[] = [];
  try {
    for (let i = 0; i < options.warmup + options.count; i++) {
      const body = articlePush(`${options.run} push ${i + 1}`);
      const started = performance.now();
      await push(client, target, body);
      if (i >= options.warmup) samples.push(performance.now() - started);
    }
  } finally {
    client.close();
  }
  return summarize(samples);
}

export interface VisibilityResult {
  readonly rss: Summary;
  readonly json: Summary;
  /** GETs per push until the story showed (both formats together), median. */
  readonly pollsMedian: number;
  /** Pushes whose story did not show within the deadline. */
  readonly timedOut: number;
}

/**
 * Pushes a story, then immediately polls `/feeds/world.rss` and `/feeds/world.json` (each on its
 * own kept-alive connection, concurrently) until the headline appears. Measured from the moment
 * the push response arrived.
 */
export async function measurePushToVisible(
  target: PushTarget,
  options: { count: number; run: string; deadlineMs: number },
): Promise<VisibilityResult> {
  const pushClient = new HttpClient(target.origin);
  const rssClient = new HttpClient(target.origin);
  const jsonClient = new HttpClient(target.origin);
  const rss: number[] = [];
  const json: number[] = [];
  const polls: number[] = [];
  let timedOut = 0;
  try {
    for (let i = 0; i < options.count; i++) {
      const marker = `${options.run} visible ${i + 1}`;
      await push(pushClient, target, articlePush(marker));
      const pushed = performance.now();
      const [rssResult, jsonResult] = await Promise.all([
        pollUntilVisible(rssClient, `/feeds/${FEED_SLUG}.rss`, marker, pushed, options.deadlineMs),
        pollUntilVisible(
          jsonClient,
          `/feeds/${FEED_SLUG}.json`,
          marker,
          pushed,
          options.deadlineMs,
        ),
      ]);
      for (const [result, samples] of [
        [rssResult, rss],
        [jsonResult, json],
      ] as const) {
        if (result.visibleAfterMs === undefined) timedOut++;
        else samples.push(result.visibleAfterMs);
      }
      polls.push(rssResult.polls + jsonResult.polls);
    }
  } finally {
    pushClient.close();
    rssClient.close();
    jsonClient.close();
  }
  return {
    rss: summarize(rss),
    json: summarize(json),
    pollsMedian: summarize(polls).p50,
    timedOut,
  };
}

async function pollUntilVisible(
  client: HttpClient,
  path: string,
  marker: string,
  since: number,
  deadlineMs: number,
): Promise<{ visibleAfterMs: number | undefined; polls: number }> {
  let polls = 0;
  // Bounded: at most `deadlineMs` of polling, back to back.
  while (performance.now() - since < deadlineMs) {
    polls++;
    const response = await client.request(path);
    if (response.status !== 200) throw new Error(`GET ${path} answered ${response.status}`);
    if (response.body.includes(marker)) {
      return { visibleAfterMs: performance.now() - since, polls };
    }
  }
  return { visibleAfterMs: undefined, polls };
}
