/**
 * In-process re-render cost of a 50-item full-content feed: `renderFeedDocuments` alone, and the
 * whole rebuild the document cache does on publish (render + `encodeDocument` of all three
 * formats: identity, gzip, brotli, SHA-256 ETag, with whatever settings encodeDocument has; the
 * three encodes run concurrently), plus what other compression settings would cost.
 */
import { createHash } from "node:crypto";
import { promisify } from "node:util";
import { brotliCompress, brotliCompressSync, constants, gzip, gzipSync } from "node:zlib";
import { encodeDocument } from "../../../src/syndication/encoded-document.ts";
import { renderFeedDocuments } from "../../../src/syndication/render-feed-documents.ts";
import { type Summary, summarize } from "../../harness/report.ts";
import { articleFromPush, articlePush, worldFeed } from "./articles.ts";

export type RenderResult = Awaited<ReturnType<typeof measureRender>>;

const CONTENT_TYPE = {
  rss: "application/rss+xml; charset=utf-8",
  atom: "application/atom+xml; charset=utf-8",
  json: "application/feed+json; charset=utf-8",
} as const;

const FORMATS = ["rss", "atom", "json"] as const;

/** `iterations` timed runs of each step (after 5 untimed ones) over an `items`-story feed. */
export async function measureRender(items: number, iterations: number, publicUrl: string) {
  const now = new Date();
  const articles = Array.from({ length: items }, (_, i) => {
    const publishedAt = new Date(now.getTime() - (i + 1) * 60_000);
    return articleFromPush(articlePush(`render ${i + 1}`), publicUrl, publishedAt);
  });
  const input = { feed: worldFeed(now), articles, publicUrl };
  const render = () => renderFeedDocuments(input);
  const rebuild = () => {
    const rendered = render();
    return Promise.all(
      FORMATS.map((f) => encodeDocument(rendered[f], CONTENT_TYPE[f], rendered.updated)),
    );
  };
  // What-if rebuilds, NOT the application's code: the same render and encodes (gzip 9), with
  // brotli at quality 5, or without brotli (built afterwards, off the visibility path).
  const whatIf = (brotliQuality: number | undefined) => {
    const rendered = render();
    return Promise.all(FORMATS.map((f) => encodeLike(rendered[f], brotliQuality)));
  };
  const rendered = render();
  const steps = {
    render: async () => render(),
    encodeRss: () => encodeDocument(rendered.rss, CONTENT_TYPE.rss, rendered.updated),
    rebuild,
    brotli5: () => whatIf(5),
    noBrotli: () => whatIf(undefined),
  };
  const times = Object.fromEntries(Object.keys(steps).map((name) => [name, [] as number[]]));
  for (let i = 0; i < 5 + iterations; i++) {
    for (const [name, step] of Object.entries(steps)) {
      const started = performance.now();
      await step();
      if (i >= 5) times[name]?.push(performance.now() - started);
    }
  }
  const timed = (name: keyof typeof steps): Summary => summarize(times[name] ?? []);

  const encoded = await rebuild();
  const size = (i: number) => ({
    identity: encoded[i]?.identity.byteLength ?? 0,
    gzip: encoded[i]?.gzip?.byteLength ?? 0,
    brotli: encoded[i]?.brotli?.byteLength ?? 0,
  });
  const today = size(0);
  return {
    items: articles.length,
    render: timed("render"),
    encodeRss: timed("encodeRss"),
    rebuild: timed("rebuild"),
    whatIf: { brotli5: timed("brotli5"), noBrotli: timed("noBrotli") },
    sizes: { rss: today, atom: size(1), json: size(2) },
    compression: measureCompression(rendered.rss, Math.max(5, Math.ceil(iterations / 3)), today),
  };
}

const gzipAsync = promisify(gzip);
const brotliAsync = promisify(brotliCompress);
const brotliParams = (quality: number, bytes: Uint8Array) => ({
  params: {
    [constants.BROTLI_PARAM_QUALITY]: quality,
    [constants.BROTLI_PARAM_SIZE_HINT]: bytes.byteLength,
    [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
  },
});

/** Mirrors encodeDocument's work (thread-pool zlib, Web Crypto hash) with another brotli setting. */
async function encodeLike(text: string, brotliQuality: number | undefined): Promise<void> {
  const identity = new TextEncoder().encode(text);
  await Promise.all([
    gzipAsync(identity, { level: 9 }),
    brotliQuality === undefined
      ? undefined
      : brotliAsync(identity, brotliParams(brotliQuality, identity)),
    crypto.subtle.digest("SHA-256", identity),
  ]);
}

/**
 * What one RSS document's encoding costs, step by step (synchronous, on this thread); `current`
 * marks the settings encodeDocument uses, told by the sizes it produced (`today`).
 */
function measureCompression(
  text: string,
  iterations: number,
  today: { gzip: number; brotli: number },
) {
  const bytes = new TextEncoder().encode(text);
  const brotli = (quality: number) => () =>
    brotliCompressSync(bytes, brotliParams(quality, bytes)).byteLength;
  const steps: [string, () => number, "always" | "gzip" | "brotli"][] = [
    ["TextEncoder.encode", () => new TextEncoder().encode(text).byteLength, "always"],
    ["sha256 (ETag)", () => createHash("sha256").update(bytes).digest().byteLength, "always"],
    ["gzip level 9", () => gzipSync(bytes, { level: 9 }).byteLength, "gzip"],
    ["gzip level 6", () => gzipSync(bytes, { level: 6 }).byteLength, "gzip"],
    ...[11, 9, 6, 5, 4].map(
      (q) => [`brotli quality ${q}`, brotli(q), "brotli"] as [string, () => number, "brotli"],
    ),
  ];
  return steps.map(([step, run, kind]) => {
    const times: number[] = [];
    let bytesOut = 0;
    // Slow settings get fewer runs (brotli 11 takes about a second); the first run is a warm-up.
    const runs = step.endsWith(" 11") ? 3 : iterations;
    for (let i = 0; i < runs + 1; i++) {
      const started = performance.now();
      bytesOut = run();
      if (i >= 1) times.push(performance.now() - started);
    }
    return {
      step,
      medianMs: summarize(times).p50,
      bytes: bytesOut,
      current: kind === "always" || bytesOut === today[kind],
    };
  });
}
