import { parseArgs } from "node:util";
import { DEFAULT_URL } from "./api-client.ts";
import { COMMON_OPTIONS } from "./args.ts";
import type { Command, CommandContext } from "./command.ts";
import { articlesCommand, deleteCommand } from "./commands/articles.ts";
import { blockCommand, blocksCommand, unblockCommand } from "./commands/blocks.ts";
import { deliveriesCommand, serversCommand } from "./commands/deliveries.ts";
import { editCommand } from "./commands/edit.ts";
import {
  feedCloseCommand,
  feedCreateCommand,
  feedQuotesCommand,
  feedRenameCommand,
  feedReopenCommand,
  feedShowCommand,
  feedsCommand,
} from "./commands/feeds.ts";
import { followersCommand } from "./commands/followers.ts";
import { importCommand } from "./commands/import.ts";
import { liveCommand, updateCommand } from "./commands/live.ts";
import { pushCommand } from "./commands/push.ts";
import { subscribersCommand } from "./commands/subscribers.ts";
import { tokenCreateCommand, tokenRevokeCommand, tokensCommand } from "./commands/tokens.ts";
import { CliError, UsageError } from "./errors.ts";
import { Output } from "./output.ts";

/**
 * `tidings`: the editors' command line for a Tidings server's admin API.
 * Exit codes: 0 done, 1 the command failed, 2 the command line was wrong.
 */
const COMMANDS: readonly Command[] = [
  pushCommand,
  updateCommand,
  liveCommand,
  importCommand,
  feedsCommand,
  feedShowCommand,
  feedCreateCommand,
  feedCloseCommand,
  feedReopenCommand,
  feedQuotesCommand,
  feedRenameCommand,
  articlesCommand,
  editCommand,
  deleteCommand,
  followersCommand,
  deliveriesCommand,
  serversCommand,
  subscribersCommand,
  tokenCreateCommand,
  tokenRevokeCommand,
  tokensCommand,
  blockCommand,
  blocksCommand,
  unblockCommand,
];

const GROUPS = new Set(
  COMMANDS.filter((c) => c.name.includes(" ")).map((c) => c.name.split(" ")[0]),
);

const USAGE = `Usage: tidings COMMAND [options]

The editors' command line for a Tidings server: publishes stories and manages feeds through
the admin API.

Commands:
${COMMANDS.map((c) => `  ${c.synopsis.padEnd(35)} ${c.summary}`).join("\n")}

Configuration: TIDINGS_URL (default ${DEFAULT_URL}) and ADMIN_TOKEN, or --url and --token.
Every command takes --json (machine-readable output) and --help.
Run tidings COMMAND --help for a command's options.`;

async function main(argv: readonly string[], context: CommandContext): Promise<number> {
  const { out } = context;
  const json = argv.includes("--json");
  try {
    const { command, rest, wantsHelp, helpText } = resolveCommand(argv);
    if (!command) {
      if (wantsHelp) {
        out.line(helpText ?? USAGE);
        return 0;
      }
      throw new UsageError("name a command");
    }
    return await command.run(rest, context);
  } catch (error) {
    if (error instanceof UsageError) {
      out.error(error.message);
      // The usage lines only: the full text is one --help away.
      const usage = error.usage
        ? (error.usage.split("\n\n")[0] ?? "")
        : USAGE.split("\n\n")
            .filter((part) => /^(Usage|Commands):/.test(part))
            .join("\n\n");
      out.stderr.write(`\n${usage}\n(--help for more)\n`);
      if (json) out.json({ error: { message: error.message, usage: true } });
      return error.exitCode;
    }
    if (error instanceof CliError) {
      out.error(error.message, error.details);
      if (json)
        out.json({ error: { message: error.message, details: error.details, ...error.json } });
      return error.exitCode;
    }
    out.error(
      `unexpected failure: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
    );
    return 1;
  }
}

/**
 * Finds the command words (`push`, `feed create`) among the arguments; everything else, in
 * order, goes to the command. Global flags may come before the command.
 */
function resolveCommand(argv: readonly string[]): {
  command: Command | undefined;
  rest: string[];
  wantsHelp: boolean;
  helpText?: string;
} {
  const { tokens, values } = parseArgs({
    args: [...argv],
    options: COMMON_OPTIONS,
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  const words = tokens.filter((t) => t.kind === "positional");
  const first = words[0];
  const wantsHelp = values.help === true;
  if (!first) return { command: undefined, rest: [], wantsHelp };

  let name = first.value;
  const used = [first.index];
  if (name === "help") {
    // `tidings help [COMMAND...]` is `tidings [COMMAND...] --help`.
    const rest = argv.filter((_, i) => i !== first.index);
    if (rest.length === 0) return { command: undefined, rest: [], wantsHelp: true };
    return resolveCommand([...rest, "--help"]);
  }
  if (GROUPS.has(name)) {
    const second = words[1];
    const subcommands = COMMANDS.filter((c) => c.name.startsWith(`${name} `)).map(
      (c) => c.name.split(" ")[1],
    );
    if (!second) {
      if (wantsHelp) return { command: undefined, rest: [], wantsHelp, helpText: groupUsage(name) };
      throw new UsageError(
        `"${name}" needs a subcommand: ${subcommands.join(", ")}`,
        groupUsage(name),
      );
    }
    name = `${name} ${second.value}`;
    used.push(second.index);
    if (!COMMANDS.some((c) => c.name === name)) {
      throw new UsageError(
        `unknown command "${name}" (${first.value} takes ${subcommands.join(", ")})`,
        groupUsage(first.value),
      );
    }
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) throw new UsageError(`unknown command "${name}"`);
  return { command, rest: argv.filter((_, i) => !used.includes(i)), wantsHelp };
}

function groupUsage(group: string): string {
  const lines = COMMANDS.filter((c) => c.name.startsWith(`${group} `)).map(
    (c) => `  tidings ${c.synopsis.padEnd(35)} ${c.summary}`,
  );
  return `Usage:\n${lines.join("\n")}`;
}

process.exitCode = await main(process.argv.slice(2), { out: new Output(), env: process.env });
