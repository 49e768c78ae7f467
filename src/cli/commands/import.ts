import {
  type ApiClient,
  ApiError,
  type ArticleJson,
  clientFromOptions,
  type FeedJson,
} from "../api-client.ts";
import { COMMON_USAGE, expectPositionals, parseCommandArgs } from "../args.ts";
import type { Command } from "../command.ts";
import { CliError, UsageError } from "../errors.ts";
import { readTextFile } from "../files.ts";
import { type FeedImportItem, parseFeedDocument } from "../formats/feed-import.ts";

const USAGE = `Usage: tidings import FILE_OR_URL --feed SLUG [--feed SLUG]... [--json]

Imports every item of an existing RSS 2.0 or Atom feed (a file, or an http(s) URL) as articles.
Each item is pushed with externalId "import:<guid>" (its guid, Atom id, or else its link), so
running the same import again skips what is already there.

  title -> headline            description/summary -> standfirst (as plain text)
  content:encoded/content -> body (else the description)
  pubDate/published -> publishedAt      category -> tags      author/dc:creator -> authors
  link -> canonicalUrl         enclosure/media:content image -> image (alt: the title)

Prints a summary (created / already present / failed, with the reason for each failure);
exits 1 when any item failed.

Options:
  --feed SLUG   the feed(s) to import into (required; repeat for more)
  --json        print the summary, item by item, as JSON

${COMMON_USAGE}`;

const CONCURRENCY = 4;
const FETCH_TIMEOUT_MS = 60_000;

type Outcome =
  | { readonly status: "created" | "skipped"; readonly id: string; readonly url: string }
  | { readonly status: "failed"; readonly reasons: readonly string[] };

export const importCommand: Command = {
  name: "import",
  synopsis: "import FILE_OR_URL --feed SLUG",
  summary: "import an RSS or Atom feed's items (idempotent)",
  usage: USAGE,
  async run(args, { out, env }) {
    const { values, positionals } = parseCommandArgs(
      args,
      { feed: { type: "string", multiple: true } },
      USAGE,
    );
    if (values.help) {
      out.line(USAGE);
      return 0;
    }
    const [source = ""] = expectPositionals(positionals, ["FILE_OR_URL"], USAGE);
    const feeds = values.feed ?? [];
    if (feeds.length === 0)
      throw new UsageError("name the feed to import into: --feed SLUG", USAGE);
    const client = clientFromOptions(values, env);

    await checkFeeds(client, feeds);
    const parsed = parseFeedDocument(await readSource(source), { source, feeds });
    const items = parsed.items;

    const outcomes: Outcome[] = new Array(items.length);
    const counts = { created: 0, skipped: 0, failed: 0 };
    const progress = out.progress("importing", items.length);
    let done = 0;
    let next = 0;
    let fatal: unknown;
    const worker = async () => {
      while (fatal === undefined && next < items.length) {
        const index = next++;
        const item = items[index] as FeedImportItem;
        try {
          const outcome = await importItem(client, item);
          outcomes[index] = outcome;
          counts[outcome.status]++;
        } catch (error) {
          fatal ??= error;
          return;
        }
        done++;
        progress.update(
          done,
          `created ${counts.created} · skipped ${counts.skipped} · failed ${counts.failed}`,
        );
      }
    };
    await Promise.all(Array.from({ length: Math.min(CONCURRENCY, items.length) }, worker));
    progress.finish();
    if (fatal !== undefined) {
      if (fatal instanceof CliError) {
        throw new CliError(
          `import stopped after ${done} of ${items.length} items: ${fatal.message}`,
          fatal.details,
          fatal.json,
        );
      }
      throw fatal;
    }

    if (values.json) {
      out.json({
        source,
        format: parsed.format,
        feeds,
        total: items.length,
        ...counts,
        items: items.map((item, i) => ({
          position: item.position,
          guid: item.guid,
          externalId: item.article?.externalId ?? null,
          ...outcomes[i],
        })),
      });
    } else {
      out.line(
        `imported ${items.length} item${items.length === 1 ? "" : "s"} from ${source} into ${feeds.join(", ")}: ` +
          `${counts.created} created, ${counts.skipped} already present (skipped), ${counts.failed} failed`,
      );
      items.forEach((item, i) => {
        const outcome = outcomes[i];
        if (outcome?.status !== "failed") return;
        out.line(
          `  failed: item ${item.position} ${JSON.stringify(item.label)}${item.guid ? ` (guid ${item.guid})` : ""}`,
        );
        for (const reason of outcome.reasons) out.line(`    ${reason}`);
      });
    }
    return counts.failed > 0 ? 1 : 0;
  },
};

/** Pushes one item; the API's own answer tells created (201) from already present (200). */
async function importItem(client: ApiClient, item: FeedImportItem): Promise<Outcome> {
  if (!item.article) return { status: "failed", reasons: [item.error ?? "cannot be imported"] };
  try {
    const { status, body } = await client.post<ArticleJson>("/admin/articles", item.article);
    return { status: status === 201 ? "created" : "skipped", id: body.id, url: body.url };
  } catch (error) {
    // A refused token stops the import; a problem with this one item does not.
    if (error instanceof ApiError && error.status !== 401) {
      const fields = error.fieldErrors;
      return { status: "failed", reasons: fields.length > 0 ? fields : [error.message] };
    }
    throw error;
  }
}

/** Fails before importing anything when a feed does not exist (a closed story still takes them). */
async function checkFeeds(client: ApiClient, slugs: readonly string[]) {
  for (const slug of slugs) {
    try {
      await client.get<FeedJson>(`/admin/feeds/${encodeURIComponent(slug)}`);
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) {
        throw new CliError(
          `unknown feed "${slug}": see tidings feeds, or create it with tidings feed create ${slug} --title TITLE`,
        );
      }
      throw error;
    }
  }
}

async function readSource(source: string): Promise<string> {
  if (!/^https?:\/\//i.test(source)) return readTextFile(source);
  let response: Response;
  try {
    response = await fetch(source, {
      headers: {
        accept:
          "application/rss+xml, application/atom+xml, application/xml, text/xml;q=0.9, */*;q=0.1",
      },
      signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
    });
  } catch (error) {
    const cause = (error as { cause?: { message?: string } }).cause?.message;
    throw new CliError(`cannot fetch ${source}: ${cause ?? (error as Error).message}`);
  }
  if (!response.ok) {
    throw new CliError(
      `cannot fetch ${source}: HTTP ${response.status} ${response.statusText}`.trim(),
    );
  }
  return response.text();
}
