import { clientFromOptions, type FeedJson } from "../api-client.ts";
import { COMMON_USAGE, expectPositionals, parseCommandArgs } from "../args.ts";
import type { Command } from "../command.ts";
import { UsageError } from "../errors.ts";
import { feedLines, table } from "../output.ts";

const path = (slug: string) => `/admin/feeds/${encodeURIComponent(slug)}`;

const LIST_USAGE = `Usage: tidings feeds [--json]

Lists every feed: slug, kind, status, fediverse handle and title.

${COMMON_USAGE}`;

export const feedsCommand: Command = {
  name: "feeds",
  synopsis: "feeds",
  summary: "list the feeds",
  usage: LIST_USAGE,
  async run(args, { out, env }) {
    const { values, positionals } = parseCommandArgs(args, {}, LIST_USAGE);
    if (values.help) {
      out.line(LIST_USAGE);
      return 0;
    }
    expectPositionals(positionals, [], LIST_USAGE);
    const { body } = await clientFromOptions(values, env).get<{ items: FeedJson[] }>(
      "/admin/feeds",
    );
    if (values.json) {
      out.json(body);
      return 0;
    }
    if (body.items.length === 0) {
      out.line("no feeds yet: create one with tidings feed create SLUG --title TITLE");
      return 0;
    }
    const rows = body.items.map((f) => [f.slug, f.kind, f.status, f.handle, f.title]);
    for (const line of table([["SLUG", "KIND", "STATUS", "FEDIVERSE", "TITLE"], ...rows])) {
      out.line(line);
    }
    return 0;
  },
};

const SHOW_USAGE = `Usage: tidings feed show SLUG [--json]

Prints a feed's addresses: its page, RSS, Atom and JSON Feed URLs and its fediverse handle.

${COMMON_USAGE}`;

export const feedShowCommand: Command = {
  name: "feed show",
  synopsis: "feed show SLUG",
  summary: "a feed's URLs and fediverse handle",
  usage: SHOW_USAGE,
  async run(args, { out, env }) {
    const { values, positionals } = parseCommandArgs(args, {}, SHOW_USAGE);
    if (values.help) {
      out.line(SHOW_USAGE);
      return 0;
    }
    const [slug = ""] = expectPositionals(positionals, ["SLUG"], SHOW_USAGE);
    const { body } = await clientFromOptions(values, env).get<FeedJson>(path(slug));
    if (values.json) out.json(body);
    else for (const line of feedLines(body)) out.line(line);
    return 0;
  },
};

const CREATE_USAGE = `Usage: tidings feed create SLUG --title TITLE [--kind story|section] [--description TEXT]
                           [--language TAG] [--json]

Creates a feed. SLUG is 1-64 lowercase letters, digits or hyphens; it names the feed's URLs
(/feeds/SLUG.rss, …) and its fediverse account (@SLUG@host).

Options:
  --title TITLE        the feed's title (required)
  --kind KIND          section (runs indefinitely; the default) or story (one developing story)
  --description TEXT   a sentence about the feed
  --language TAG       its language, a BCP 47 tag such as en or en-GB (default: en)

${COMMON_USAGE}`;

export const feedCreateCommand: Command = {
  name: "feed create",
  synopsis: "feed create SLUG --title TITLE",
  summary: "create a feed",
  usage: CREATE_USAGE,
  async run(args, { out, env }) {
    const { values, positionals } = parseCommandArgs(
      args,
      {
        title: { type: "string" },
        kind: { type: "string" },
        description: { type: "string" },
        language: { type: "string" },
      },
      CREATE_USAGE,
    );
    if (values.help) {
      out.line(CREATE_USAGE);
      return 0;
    }
    const [slug = ""] = expectPositionals(positionals, ["SLUG"], CREATE_USAGE);
    if (values.title === undefined) throw new UsageError("missing --title TITLE", CREATE_USAGE);
    if (values.kind !== undefined && values.kind !== "story" && values.kind !== "section") {
      throw new UsageError(`--kind must be story or section (got ${values.kind})`, CREATE_USAGE);
    }
    const { body } = await clientFromOptions(values, env).post<FeedJson>("/admin/feeds", {
      slug,
      title: values.title,
      ...(values.kind ? { kind: values.kind } : {}),
      ...(values.description !== undefined ? { description: values.description } : {}),
      ...(values.language ? { language: values.language } : {}),
    });
    if (values.json) {
      out.json(body);
      return 0;
    }
    out.line(`created ${body.kind} feed ${body.slug}`);
    for (const line of feedLines(body)) out.line(line);
    return 0;
  },
};

const CLOSE_USAGE = `Usage: tidings feed close SLUG [--json]

Ends a story: its live articles stop being live, its page and fediverse profile say when it
ended, and its followers are sent the new profile. Its articles, page and feeds stay up, and
it still takes articles (a late correction or a follow-up) without reopening.

${COMMON_USAGE}`;

const REOPEN_USAGE = `Usage: tidings feed reopen SLUG [--json]

Reopens a closed story: the "ended" notice goes from its page and profile (followers are sent
the new profile). Its articles go live again with their next live update.

${COMMON_USAGE}`;

/** `feed close` and `feed reopen`: one PATCH of the feed's status. */
function statusCommand(
  verb: "close" | "reopen",
  status: "closed" | "open",
  usage: string,
  summary: string,
): Command {
  return {
    name: `feed ${verb}`,
    synopsis: `feed ${verb} SLUG`,
    summary,
    usage,
    async run(args, { out, env }) {
      const { values, positionals } = parseCommandArgs(args, {}, usage);
      if (values.help) {
        out.line(usage);
        return 0;
      }
      const [slug = ""] = expectPositionals(positionals, ["SLUG"], usage);
      const { body } = await clientFromOptions(values, env).patch<FeedJson>(path(slug), {
        status,
      });
      if (values.json) out.json(body);
      else if (status === "closed") {
        const ended = typeof body.closedAt === "string" ? ` on ${body.closedAt}` : "";
        out.line(`closed feed ${body.slug}: the story ended${ended}`);
      } else out.line(`reopened feed ${body.slug}`);
      return 0;
    },
  };
}

export const feedCloseCommand = statusCommand(
  "close",
  "closed",
  CLOSE_USAGE,
  "end a story feed (its live articles end)",
);
export const feedReopenCommand = statusCommand(
  "reopen",
  "open",
  REOPEN_USAGE,
  "reopen a closed story feed",
);

const QUOTES_USAGE = `Usage: tidings feed quotes SLUG everyone|followers|nobody [--json]

Sets who may quote the feed's posts on the fediverse (FEP-044f; Mastodon 4.5 and later ask
before quoting). Requests within the policy are approved at once: everyone (the default), the
feed's followers only, or nobody. Quotes approved before stay approved.

${COMMON_USAGE}`;

const QUOTE_POLICIES = ["everyone", "followers", "nobody"];

export const feedQuotesCommand: Command = {
  name: "feed quotes",
  synopsis: "feed quotes SLUG POLICY",
  summary: "who may quote the feed's posts on the fediverse",
  usage: QUOTES_USAGE,
  async run(args, { out, env }) {
    const { values, positionals } = parseCommandArgs(args, {}, QUOTES_USAGE);
    if (values.help) {
      out.line(QUOTES_USAGE);
      return 0;
    }
    const [slug = "", policy = ""] = expectPositionals(
      positionals,
      ["SLUG", "POLICY"],
      QUOTES_USAGE,
    );
    if (!QUOTE_POLICIES.includes(policy)) {
      throw new UsageError(
        `POLICY must be everyone, followers or nobody (got ${policy})`,
        QUOTES_USAGE,
      );
    }
    const { body } = await clientFromOptions(values, env).patch<FeedJson>(path(slug), {
      quotePolicy: policy,
    });
    if (values.json) out.json(body);
    else out.line(`feed ${body.slug}: quotes approved for ${body.quotePolicy}`);
    return 0;
  },
};

const RENAME_USAGE = `Usage: tidings feed rename OLD NEW [--json]

Renames a feed, keeping its followers. Its articles and followers move to NEW at once; the
fediverse account @NEW names @OLD as its old account, and @OLD tells its followers' servers
that it moved (Mastodon and others then follow @NEW instead). The old feed URLs and page
answer with permanent redirects to the new ones, so feed readers update their subscriptions.
OLD stays reserved for this feed; renaming back to it is allowed.

Change the slug in the feed's file under feeds/ too, if it has one: a file still naming OLD
is skipped at start-up (with a warning) rather than bringing the old feed back.

${COMMON_USAGE}`;

export const feedRenameCommand: Command = {
  name: "feed rename",
  synopsis: "feed rename OLD NEW",
  summary: "rename a feed, moving its followers to the new name",
  usage: RENAME_USAGE,
  async run(args, { out, env }) {
    const { values, positionals } = parseCommandArgs(args, {}, RENAME_USAGE);
    if (values.help) {
      out.line(RENAME_USAGE);
      return 0;
    }
    const [from = "", to = ""] = expectPositionals(positionals, ["OLD", "NEW"], RENAME_USAGE);
    const { body } = await clientFromOptions(values, env).patch<FeedJson>(path(from), {
      slug: to,
    });
    if (values.json) {
      out.json(body);
      return 0;
    }
    out.line(`renamed feed ${from} to ${body.slug}: its followers are told it moved`);
    for (const line of feedLines(body)) out.line(line);
    return 0;
  },
};
