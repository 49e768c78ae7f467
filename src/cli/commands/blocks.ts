import { clientFromOptions } from "../api-client.ts";
import { COMMON_USAGE, expectPositionals, parseCommandArgs } from "../args.ts";
import type { Command } from "../command.ts";
import { UsageError } from "../errors.ts";
import { readTextFile } from "../files.ts";
import { table } from "../output.ts";

interface BlockJson {
  readonly id: string;
  readonly kind: "domain" | "actor";
  readonly target: string;
  readonly severity: string;
  readonly comment: string | null;
  readonly createdAt: string;
  readonly effects?: {
    readonly followersRemoved: number;
    readonly interactionsRemoved: number;
    readonly repliesRemoved: number;
  };
}

/** `@name@host` or an actor id names an account; anything else a server. */
function targetOf(text: string): { domain: string } | { actor: string } {
  return /^@[^@\s]+@[^@\s]+$/.test(text) || /^https?:\/\//.test(text)
    ? { actor: text }
    : { domain: text };
}

const BLOCK_USAGE = `Usage: tidings block DOMAIN|@user@host|ACTOR_URL [--silence] [--reject-reports]
                     [--comment TEXT] [--json]
       tidings block --import FILE.csv [--json]

Blocks a server (and its subdomains) or one account. Suspended (the default): its activities
are dropped, its followers removed and never delivered to, its likes, boosts and replies
removed. --silence only keeps its replies off pages and out of the counts.
--import takes Mastodon's domain-block export (#domain,#severity,…): all of it or none.

Options:
  --silence          hide its replies instead of suspending it
  --reject-reports   drop its reports (Flag)
  --comment TEXT     why, for the other editors
  --import FILE      a CSV file exported from Mastodon (Administration > Federation)

${COMMON_USAGE}`;

export const blockCommand: Command = {
  name: "block",
  synopsis: "block DOMAIN|@user@host",
  summary: "block a server or an account (--import CSV)",
  usage: BLOCK_USAGE,
  async run(args, { out, env }) {
    const { values, positionals } = parseCommandArgs(
      args,
      {
        silence: { type: "boolean", default: false },
        "reject-reports": { type: "boolean", default: false },
        comment: { type: "string" },
        import: { type: "string" },
      },
      BLOCK_USAGE,
    );
    if (values.help) {
      out.line(BLOCK_USAGE);
      return 0;
    }
    const client = clientFromOptions(values, env);
    if (values.import !== undefined) {
      expectPositionals(positionals, [], BLOCK_USAGE);
      const text = await readTextFile(values.import);
      const { body } = await client.request<{ created: number; updated: number; skipped: number }>(
        "POST",
        "/admin/blocks/import",
        { raw: { text, contentType: "text/csv" } },
      );
      if (values.json) out.json(body);
      else
        out.line(
          `imported ${values.import}: ${body.created} new, ${body.updated} updated, ${body.skipped} skipped (noop)`,
        );
      return 0;
    }
    const [target = ""] = expectPositionals(positionals, ["DOMAIN|@user@host"], BLOCK_USAGE);
    if (target.startsWith("-")) throw new UsageError(`unknown option ${target}`, BLOCK_USAGE);
    const { body } = await client.post<BlockJson>("/admin/blocks", {
      ...targetOf(target),
      severity: values.silence ? "silence" : "suspend",
      rejectReports: values["reject-reports"],
      ...(values.comment === undefined ? {} : { comment: values.comment }),
    });
    if (values.json) {
      out.json(body);
      return 0;
    }
    const effects = body.effects;
    out.line(`${body.severity === "silence" ? "silenced" : "blocked"} ${body.target}`);
    if (effects && body.severity === "suspend") {
      out.line(
        `  removed ${effects.followersRemoved} followers, ${effects.interactionsRemoved} likes and boosts, ${effects.repliesRemoved} replies`,
      );
    }
    return 0;
  },
};

const LIST_USAGE = `Usage: tidings blocks [--json]

Lists the blocked servers and accounts, newest first.

${COMMON_USAGE}`;

export const blocksCommand: Command = {
  name: "blocks",
  synopsis: "blocks",
  summary: "list the blocks",
  usage: LIST_USAGE,
  async run(args, { out, env }) {
    const { values, positionals } = parseCommandArgs(args, {}, LIST_USAGE);
    if (values.help) {
      out.line(LIST_USAGE);
      return 0;
    }
    expectPositionals(positionals, [], LIST_USAGE);
    const client = clientFromOptions(values, env);
    const items: BlockJson[] = [];
    let cursor: string | undefined;
    do {
      const { body } = await client.get<{ items: BlockJson[]; nextCursor: string | null }>(
        "/admin/blocks",
        { limit: 500, cursor },
      );
      items.push(...body.items);
      cursor = body.nextCursor ?? undefined;
    } while (cursor !== undefined);
    if (values.json) {
      out.json({ items });
      return 0;
    }
    if (items.length === 0) {
      out.line("nothing is blocked");
      return 0;
    }
    const rows = items.map((b) => [b.target, b.kind, b.severity, b.createdAt, b.comment ?? ""]);
    for (const line of table([["TARGET", "KIND", "SEVERITY", "SINCE", "COMMENT"], ...rows])) {
      out.line(line);
    }
    return 0;
  },
};

const UNBLOCK_USAGE = `Usage: tidings unblock DOMAIN|ACTOR_URL|ID [--json]

Lifts a block. Nothing is restored: removed followers must follow again, and removed likes,
boosts and replies stay gone.

${COMMON_USAGE}`;

export const unblockCommand: Command = {
  name: "unblock",
  synopsis: "unblock DOMAIN|ACTOR_URL",
  summary: "lift a block (restores nothing)",
  usage: UNBLOCK_USAGE,
  async run(args, { out, env }) {
    const { values, positionals } = parseCommandArgs(args, {}, UNBLOCK_USAGE);
    if (values.help) {
      out.line(UNBLOCK_USAGE);
      return 0;
    }
    const [target = ""] = expectPositionals(positionals, ["DOMAIN"], UNBLOCK_USAGE);
    const { body } = await clientFromOptions(values, env).request<{ detail: string }>(
      "DELETE",
      `/admin/blocks/${encodeURIComponent(target)}`,
    );
    if (values.json) out.json(body);
    else out.line(body.detail);
    return 0;
  },
};
