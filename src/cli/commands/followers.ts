import { clientFromOptions, type FeedJson, type FollowerJson } from "../api-client.ts";
import { COMMON_USAGE, expectPositionals, parseCommandArgs, positiveInteger } from "../args.ts";
import type { Command } from "../command.ts";
import { table } from "../output.ts";

const USAGE = `Usage: tidings followers SLUG [--limit N] [--json]

Lists the fediverse accounts following a feed, newest first.

Options:
  --limit N   at most N followers (default 100)

${COMMON_USAGE}`;

interface FollowerPage {
  items: FollowerJson[];
  total: number;
  nextCursor: string | null;
}

export const followersCommand: Command = {
  name: "followers",
  synopsis: "followers SLUG",
  summary: "list a feed's fediverse followers",
  usage: USAGE,
  async run(args, { out, env }) {
    const { values, positionals } = parseCommandArgs(args, { limit: { type: "string" } }, USAGE);
    if (values.help) {
      out.line(USAGE);
      return 0;
    }
    const [slug = ""] = expectPositionals(positionals, ["SLUG"], USAGE);
    const limit = positiveInteger(values.limit, "limit", USAGE) ?? 100;
    const client = clientFromOptions(values, env);
    const path = `/admin/feeds/${encodeURIComponent(slug)}/followers`;

    const items: FollowerJson[] = [];
    let total = 0;
    let cursor: string | undefined;
    let nextCursor: string | null = null;
    do {
      const { body } = await client.get<FollowerPage>(path, {
        limit: Math.min(200, limit - items.length),
        cursor,
      });
      items.push(...body.items);
      total = body.total;
      nextCursor = body.nextCursor;
      cursor = nextCursor ?? undefined;
    } while (cursor !== undefined && items.length < limit);

    if (values.json) {
      out.json({ items, total, nextCursor });
      return 0;
    }
    const { body: feed } = await client.get<FeedJson>(`/admin/feeds/${encodeURIComponent(slug)}`);
    out.line(`${feed.handle} has ${total} follower${total === 1 ? "" : "s"}`);
    if (items.length === 0) return 0;
    const rows = items.map((f) => [f.createdAt, f.actorId, f.sharedInboxUrl ?? f.inboxUrl]);
    for (const line of table([["SINCE", "ACTOR", "INBOX"], ...rows])) out.line(`  ${line}`);
    if (items.length < total) out.line(`  (${total - items.length} more: raise --limit)`);
    return 0;
  },
};
