import { type ArticleJson, clientFromOptions } from "../api-client.ts";
import { COMMON_USAGE, expectPositionals, parseCommandArgs, positiveInteger } from "../args.ts";
import type { Command } from "../command.ts";
import { table } from "../output.ts";

const LIST_USAGE = `Usage: tidings articles [--feed SLUG] [--limit N] [--json]

Lists articles, newest first: id, publication time, status, feeds and headline.

Options:
  --feed SLUG   only this feed's articles
  --limit N     at most N articles (default 20)

${COMMON_USAGE}`;

/** The API hands out at most this many per page. */
const PAGE_SIZE = 200;

export const articlesCommand: Command = {
  name: "articles",
  synopsis: "articles [--feed SLUG] [--limit N]",
  summary: "list articles, newest first",
  usage: LIST_USAGE,
  async run(args, { out, env }) {
    const { values, positionals } = parseCommandArgs(
      args,
      { feed: { type: "string" }, limit: { type: "string" } },
      LIST_USAGE,
    );
    if (values.help) {
      out.line(LIST_USAGE);
      return 0;
    }
    expectPositionals(positionals, [], LIST_USAGE);
    const limit = positiveInteger(values.limit, "limit", LIST_USAGE) ?? 20;
    const client = clientFromOptions(values, env);

    const items: ArticleJson[] = [];
    let cursor: string | undefined;
    let nextCursor: string | null = null;
    do {
      const { body } = await client.get<{ items: ArticleJson[]; nextCursor: string | null }>(
        "/admin/articles",
        { feed: values.feed, limit: Math.min(PAGE_SIZE, limit - items.length), cursor },
      );
      items.push(...body.items);
      nextCursor = body.nextCursor;
      cursor = nextCursor ?? undefined;
    } while (cursor !== undefined && items.length < limit);

    if (values.json) {
      out.json({ items, nextCursor });
      return 0;
    }
    if (items.length === 0) {
      out.line(values.feed ? `no articles in ${values.feed}` : "no articles yet");
      return 0;
    }
    const rows = items.map((a) => [a.id, a.publishedAt, a.status, a.feeds.join(","), a.headline]);
    for (const line of table([["ID", "PUBLISHED", "STATUS", "FEEDS", "HEADLINE"], ...rows])) {
      out.line(line);
    }
    if (nextCursor) out.line(`(more: raise --limit above ${limit})`);
    return 0;
  },
};

const DELETE_USAGE = `Usage: tidings delete ID [--json]

Deletes an article: it leaves every feed, its page answers 410 Gone and fediverse followers
receive a Delete.

${COMMON_USAGE}`;

export const deleteCommand: Command = {
  name: "delete",
  synopsis: "delete ID",
  summary: "delete an article",
  usage: DELETE_USAGE,
  async run(args, { out, env }) {
    const { values, positionals } = parseCommandArgs(args, {}, DELETE_USAGE);
    if (values.help) {
      out.line(DELETE_USAGE);
      return 0;
    }
    const [id = ""] = expectPositionals(positionals, ["ID"], DELETE_USAGE);
    await clientFromOptions(values, env).delete(`/admin/articles/${encodeURIComponent(id)}`);
    if (values.json) out.json({ deleted: id });
    else out.line(`deleted article ${id}`);
    return 0;
  },
};
