import { clientFromOptions } from "../api-client.ts";
import { COMMON_USAGE, expectPositionals, parseCommandArgs } from "../args.ts";
import type { Command } from "../command.ts";
import { CliError } from "../errors.ts";
import { readTextFile } from "../files.ts";
import { articleFromMarkdown } from "../formats/markdown.ts";

interface LiveUpdateJson {
  readonly id: string;
  readonly url: string;
  readonly headline: string | null;
  readonly publishedAt: string;
  readonly externalId: string | null;
}

const UPDATE_USAGE = `Usage: tidings update ARTICLE_ID FILE|- [--external-id ID] [--not-live] [--json]

Pushes a live update to a developing story and prints its address. The article becomes live
(shown with a LIVE label) unless --not-live is given.

  FILE.json  the admin API's update JSON (bodyHtml, headline, authors, image, publishedAt,
             externalId)
  FILE.md    Markdown, optionally with YAML front matter (headline, authors, image,
             publishedAt, externalId); a leading "# Heading" is the update's headline
  -          read Markdown (or JSON, if it starts with "{") from standard input

Options:
  --external-id ID    your CMS's id for the update: pushing it again changes nothing
  --not-live          leave the article's live flag off
  --json              print the API's update JSON instead

${COMMON_USAGE}`;

export const updateCommand: Command = {
  name: "update",
  synopsis: "update ARTICLE_ID FILE|-",
  summary: "push a live update to a developing story",
  usage: UPDATE_USAGE,
  async run(args, { out, env }) {
    const { values, positionals } = parseCommandArgs(
      args,
      { "external-id": { type: "string" }, "not-live": { type: "boolean" } },
      UPDATE_USAGE,
    );
    if (values.help) {
      out.line(UPDATE_USAGE);
      return 0;
    }
    const [articleId = "", file = ""] = expectPositionals(
      positionals,
      ["ARTICLE_ID", "FILE"],
      UPDATE_USAGE,
    );
    const text = file === "-" ? await readStdin() : await readTextFile(file);
    const update = parseUpdate(text, file);
    if (values["external-id"] !== undefined) update.externalId = values["external-id"];
    if (values["not-live"]) update.live = false;
    const client = clientFromOptions(values, env);
    const { status, body } = await client.post<LiveUpdateJson>(
      `/admin/articles/${encodeURIComponent(articleId)}/updates`,
      update,
    );
    if (values.json) {
      out.json(body);
      return 0;
    }
    out.line(
      status === 201
        ? `update pushed: ${body.headline ?? body.publishedAt}`
        : `already there (externalId ${body.externalId}), nothing changed`,
    );
    out.line(`  update     ${body.url}`);
    out.line(`  id         ${body.id}`);
    return 0;
  },
};

const LIVE_USAGE = `Usage: tidings live ARTICLE_ID on|off [--json]

Marks a story as developing (on: shown with a LIVE label) or ended (off).

${COMMON_USAGE}`;

export const liveCommand: Command = {
  name: "live",
  synopsis: "live ARTICLE_ID on|off",
  summary: "mark a story as developing or ended",
  usage: LIVE_USAGE,
  async run(args, { out, env }) {
    const { values, positionals } = parseCommandArgs(args, {}, LIVE_USAGE);
    if (values.help) {
      out.line(LIVE_USAGE);
      return 0;
    }
    const [articleId = "", state = ""] = expectPositionals(
      positionals,
      ["ARTICLE_ID", "on|off"],
      LIVE_USAGE,
    );
    if (state !== "on" && state !== "off") {
      throw new CliError(`expected "on" or "off", not "${state}"\n\n${LIVE_USAGE}`);
    }
    const { body } = await clientFromOptions(values, env).patch<{ id: string; live: boolean }>(
      `/admin/articles/${encodeURIComponent(articleId)}`,
      { live: state === "on" },
    );
    if (values.json) out.json(body);
    else out.line(`article ${body.id} is ${body.live ? "live" : "no longer live"}`);
    return 0;
  },
};

function parseUpdate(text: string, file: string): Record<string, unknown> {
  if (file.endsWith(".json") || (file === "-" && text.trimStart().startsWith("{"))) {
    try {
      const value = JSON.parse(text) as unknown;
      if (typeof value !== "object" || value === null || Array.isArray(value)) {
        throw new CliError(`${file}: expected a JSON object of update fields`);
      }
      return { ...(value as Record<string, unknown>) };
    } catch (error) {
      if (error instanceof CliError) throw error;
      throw new CliError(`${file}: not valid JSON: ${(error as Error).message}`);
    }
  }
  return articleFromMarkdown(text, file === "-" ? "standard input" : file);
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}
