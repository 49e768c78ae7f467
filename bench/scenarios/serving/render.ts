/**
 * In-process re-render cost of a 50-item full-content feed: `renderFeedDocuments` alone, and the
 * whole rebuild the document cache does on publish (render + `encodeDocument` of all three
 * formats: identity, gzip, brotli, SHA-256 ETag, with whatever settings encodeDocument has; the
 * three encodes run concurrently).
 */
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
  const rendered = render();
  const steps = {
    render: async () => render(),
    encodeRss: () => encodeDocument(rendered.rss, CONTENT_TYPE.rss, rendered.updated),
    rebuild,
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
  return {
    items: articles.length,
    render: timed("render"),
    encodeRss: timed("encodeRss"),
    rebuild: timed("rebuild"),
    sizes: { rss: size(0), atom: size(1), json: size(2) },
  };
}
