/**
 * In-process re-render cost of a 50-item full-content feed: `renderFeedDocuments` alone, and the
 * whole rebuild the document cache does on publish (render + `encodeDocument` of all three
 * formats: identity, gzip, brotli, SHA-256 ETag, with whatever settings encodeDocument has; the
 * three encodes run concurrently), plus what other compression settings would cost.
 */
import { createHash } from "node:crypto";
import { performance } from "node:perf_hooks";
import { promisify } from "node:util";
import { brotliCompress, brotliCompressSync, constants, gzip, gzipSync } from "node:zlib";
import { encodeDocument } from "../src/syndication/encoded-document.ts";
import { renderFeedDocuments } from "../src/syndication/render-feed-documents.ts";
import { articleFromPush, articlePush, worldFeed } from "./articles.ts";
import { type Summary, summarize } from "./stats.ts";

export interface RenderResult {
  readonly items: number;
  readonly render: Summary;
  readonly rebuild: Summary;
  /**
   * What-if rebuilds, NOT the application's code: the same render and encodes (gzip 9), with
   * brotli at quality 5, or without brotli (built afterwards, off the visibility path).
   */
  readonly whatIf: { readonly brotli5: Summary; readonly noBrotli: Summary };
  /** encodeDocument on the RSS document alone (identity, gzip, brotli, ETag). */
  readonly encodeRss: Summary;
  readonly sizes: Readonly<
    Record<"rss" | "atom" | "json", { identity: number; gzip: number; brotli: number }>
  >;
  /** What one RSS document's encoding costs, step by step (synchronous, on this thread). */
  readonly compression: readonly CompressionStep[];
}

export interface CompressionStep {
  readonly step: string;
  readonly medianMs: number;
  readonly bytes: number;
  /** True for the setting encodeDocument uses today (its output has exactly these bytes). */
  readonly current: boolean;
}

const CONTENT_TYPE = {
  rss: "application/rss+xml; charset=utf-8",
  atom: "application/atom+xml; charset=utf-8",
  json: "application/feed+json; charset=utf-8",
} as const;

export async function measureRender(options: {
  items: number;
  iterations: number;
  warmup: number;
  publicUrl: string;
}): Promise<RenderResult> {
  const now = new Date();
  const articles = Array.from({ length: options.items }, (_, i) => {
    const publishedAt = new Date(now.getTime() - (i + 1) * 60_000);
    return articleFromPush(articlePush(`render ${i + 1}`), options.publicUrl, publishedAt);
  });
  const input = { feed: worldFeed(now), articles, publicUrl: options.publicUrl };

  const rebuild = async () => {
    const rendered = renderFeedDocuments(input);
    const encode = (format: "rss" | "atom" | "json") =>
      encodeDocument(rendered[format], CONTENT_TYPE[format], rendered.updated);
    return Promise.all([encode("rss"), encode("atom"), encode("json")]);
  };

  const whatIf = async (brotliQuality: number | undefined) => {
    const rendered = renderFeedDocuments(input);
    return Promise.all(
      [rendered.rss, rendered.atom, rendered.json].map((text) => encodeLike(text, brotliQuality)),
    );
  };

  const renderTimes: number[] = [];
  const rebuildTimes: number[] = [];
  const brotli5Times: number[] = [];
  const noBrotliTimes: number[] = [];
  const encodeTimes: number[] = [];
  for (let i = 0; i < options.warmup + options.iterations; i++) {
    const counted = i >= options.warmup;
    let started = performance.now();
    const rendered = renderFeedDocuments(input);
    if (counted) renderTimes.push(performance.now() - started);

    started = performance.now();
    await encodeDocument(rendered.rss, CONTENT_TYPE.rss, rendered.updated);
    if (counted) encodeTimes.push(performance.now() - started);

    started = performance.now();
    await rebuild();
    if (counted) rebuildTimes.push(performance.now() - started);

    started = performance.now();
    await whatIf(5);
    if (counted) brotli5Times.push(performance.now() - started);

    started = performance.now();
    await whatIf(undefined);
    if (counted) noBrotliTimes.push(performance.now() - started);
  }

  const [rss, atom, json] = await rebuild();
  const rendered = renderFeedDocuments(input);
  const compression = measureCompression(
    rendered.rss,
    Math.max(5, Math.ceil(options.iterations / 3)),
    { gzip: rss.gzip?.byteLength ?? 0, brotli: rss.brotli?.byteLength ?? 0 },
  );
  const size = (document: typeof rss) => ({
    identity: document.identity.byteLength,
    gzip: document.gzip?.byteLength ?? 0,
    brotli: document.brotli?.byteLength ?? 0,
  });
  return {
    items: articles.length,
    render: summarize(renderTimes),
    rebuild: summarize(rebuildTimes),
    whatIf: { brotli5: summarize(brotli5Times), noBrotli: summarize(noBrotliTimes) },
    encodeRss: summarize(encodeTimes),
    sizes: { rss: size(rss), atom: size(atom), json: size(json) },
    compression,
  };
}

const gzipAsync = promisify(gzip);
const brotliAsync = promisify(brotliCompress);

/** Mirrors encodeDocument's work (thread-pool zlib, Web Crypto hash) with another brotli setting. */
async function encodeLike(text: string, brotliQuality: number | undefined): Promise<number> {
  const identity = new TextEncoder().encode(text);
  const outputs = await Promise.all([
    gzipAsync(identity, { level: 9 }),
    brotliQuality === undefined
      ? Promise.resolve(Buffer.alloc(0))
      : brotliAsync(identity, {
          params: {
            [constants.BROTLI_PARAM_QUALITY]: brotliQuality,
            [constants.BROTLI_PARAM_SIZE_HINT]: identity.byteLength,
            [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
          },
        }),
    crypto.subtle.digest("SHA-256", identity),
  ]);
  return outputs.length;
}

/** `today`: the sizes encodeDocument produced, to tell which setting it uses. */
function measureCompression(
  text: string,
  iterations: number,
  today: { gzip: number; brotli: number },
): CompressionStep[] {
  const bytes = new TextEncoder().encode(text);
  const brotli = (quality: number) => () =>
    brotliCompressSync(bytes, {
      params: {
        [constants.BROTLI_PARAM_QUALITY]: quality,
        [constants.BROTLI_PARAM_SIZE_HINT]: bytes.byteLength,
        [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
      },
    }).byteLength;
  const steps: [string, () => number, "always" | "gzip" | "brotli"][] = [
    ["TextEncoder.encode", () => new TextEncoder().encode(text).byteLength, "always"],
    ["sha256 (ETag)", () => createHash("sha256").update(bytes).digest().byteLength, "always"],
    ["gzip level 9", () => gzipSync(bytes, { level: 9 }).byteLength, "gzip"],
    ["gzip level 6", () => gzipSync(bytes, { level: 6 }).byteLength, "gzip"],
    ["brotli quality 11", brotli(11), "brotli"],
    ["brotli quality 9", brotli(9), "brotli"],
    ["brotli quality 6", brotli(6), "brotli"],
    ["brotli quality 5", brotli(5), "brotli"],
    ["brotli quality 4", brotli(4), "brotli"],
  ];
  return steps.map(([step, run, kind]) => {
    const times: number[] = [];
    let size = 0;
    // Slow settings get fewer runs (brotli 11 takes about a second).
    const runs = kind === "brotli" && step.endsWith(" 11") ? 3 : iterations;
    for (let i = 0; i < runs + 1; i++) {
      const started = performance.now();
      size = run();
      if (i >= 1) times.push(performance.now() - started);
    }
    const current = kind === "always" || size === today[kind];
    return { step, medianMs: summarize(times).p50, bytes: size, current };
  });
}
