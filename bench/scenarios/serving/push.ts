/** Pushing stories through the admin API: seeding, push latency, push-to-visible latency. */
import { HttpClient } from "../../harness/http-client.ts";
import { summarize } from "../../harness/report.ts";
import { postArticle } from "../../harness/tidings.ts";
import { articlePush, FEED_SLUG } from "./articles.ts";

export interface PushTarget {
  readonly origin: string;
  readonly adminToken: string;
}

/** `count` full-content stories, published a minute apart in the past (the newest last). */
export async function seedArticles(target: PushTarget, count: number, run: string): Promise<void> {
  const client = new HttpClient(target.origin);
  const newest = Math.floor(Date.now() / 60_000) * 60_000 - 60_000;
  for (let i = 0; i < count; i++) {
    const publishedAt = new Date(newest - (count - 1 - i) * 60_000);
    await postArticle(client, target.adminToken, articlePush(`${run} seed ${i + 1}`, publishedAt));
  }
  await client.close();
}

/** Sequential pushes on one kept-alive connection; latency from request start to response end. */
export async function measurePushLatency(
  target: PushTarget,
  warmup: number,
  count: number,
  run: string,
) {
  const client = new HttpClient(target.origin);
  const samples: number[] = [];
  for (let i = 0; i < warmup + count; i++) {
    const body = articlePush(`${run} push ${i + 1}`);
    const started = performance.now();
    await postArticle(client, target.adminToken, body);
    if (i >= warmup) samples.push(performance.now() - started);
  }
  await client.close();
  return summarize(samples);
}

/** Pushes something carrying `marker` (a story by default; a live update in bench/scenarios/updates.ts). */
export type MarkedPush = (client: HttpClient, target: PushTarget, marker: string) => Promise<void>;

const pushStory: MarkedPush = async (client, target, marker) => {
  await postArticle(client, target.adminToken, articlePush(marker));
};

/**
 * Pushes a story (or what `push` pushes), then at once polls `/feeds/world.rss` and
 * `/feeds/world.json` (each on its own kept-alive connection, concurrently) until the marker
 * shows, for at most `deadlineMs`; measured from the moment the push response arrived. `polls`:
 * GETs until visible, both formats.
 */
export async function measurePushToVisible(
  target: PushTarget,
  count: number,
  run: string,
  deadlineMs: number,
  push: MarkedPush = pushStory,
) {
  const pusher = new HttpClient(target.origin);
  const formats = (["rss", "json"] as const).map((format) => ({
    format,
    client: new HttpClient(target.origin),
    visibleAfterMs: [] as number[],
  }));
  const polls: number[] = [];
  let timedOut = 0;
  for (let i = 0; i < count; i++) {
    const marker = `${run} visible ${i + 1}`;
    await push(pusher, target, marker);
    const pushed = performance.now();
    let gets = 0;
    await Promise.all(
      formats.map(async ({ format, client, visibleAfterMs }) => {
        while (performance.now() - pushed < deadlineMs) {
          gets++;
          const response = await client.request(`/feeds/${FEED_SLUG}.${format}`);
          if (response.status !== 200)
            throw new Error(`GET ${FEED_SLUG}.${format}: ${response.status}`);
          if (response.body.includes(marker))
            return visibleAfterMs.push(performance.now() - pushed);
        }
        timedOut++;
      }),
    );
    polls.push(gets);
  }
  for (const client of [pusher, ...formats.map((f) => f.client)]) await client.close();
  const [rss, json] = formats.map((f) => summarize(f.visibleAfterMs));
  return {
    rss: rss ?? summarize([]),
    json: json ?? summarize([]),
    pollsMedian: summarize(polls).p50,
    timedOut,
  };
}
