import { type ArticleJson, clientFromOptions } from "../api-client.ts";
import { COMMON_USAGE, parseCommandArgs } from "../args.ts";
import type { Command } from "../command.ts";
import { UsageError } from "../errors.ts";
import { readTextFile } from "../files.ts";
import { articleFromJson } from "../formats/json.ts";
import { articleFromMarkdown } from "../formats/markdown.ts";

const USAGE = `Usage: tidings edit ID [FILE] [--correction TEXT] [--json]

Revises an article (PATCH /admin/articles/ID): the fields FILE names replace the stored ones,
the rest stay. Without --correction the revision is a silent fix; with it, the note is public:
shown on the article's page in a dated Correction box, at the top of the story in every feed, sent
to fediverse followers with the Update, and kept in the story's history (/articles/ID/history).

  FILE.json  some of the admin API's article fields (headline, standfirst, bodyHtml, …)
  FILE.md    Markdown with optional YAML front matter of article fields; the body becomes
             bodyHtml, a leading "# Heading" the headline

Options:
  --correction TEXT   the public correction note (plain text, at most 1000 characters); may be
                      given alone, to correct without changing the text
  --json              print the API's article JSON instead

${COMMON_USAGE}`;

export const editCommand: Command = {
  name: "edit",
  synopsis: "edit ID [FILE] [--correction TEXT]",
  summary: "revise an article; --correction makes it a public correction",
  usage: USAGE,
  async run(args, { out, env }) {
    const { values, positionals } = parseCommandArgs(
      args,
      { correction: { type: "string" } },
      USAGE,
    );
    if (values.help) {
      out.line(USAGE);
      return 0;
    }
    const [id, file, extra] = positionals;
    if (id === undefined) throw new UsageError("missing ID", USAGE);
    if (extra !== undefined)
      throw new UsageError(`unexpected argument ${JSON.stringify(extra)}`, USAGE);
    if (file === undefined && values.correction === undefined) {
      throw new UsageError("name a FILE with the changes, or a --correction, or both", USAGE);
    }
    const changes = file === undefined ? {} : await changesFromFile(file);
    if ("externalId" in changes) {
      out.warn("externalId never changes on an edit; left out");
      delete changes.externalId;
    }
    const patch = {
      ...changes,
      ...(values.correction === undefined ? {} : { correction: values.correction }),
    };
    const client = clientFromOptions(values, env);
    const { body } = await client.patch<ArticleJson>(
      `/admin/articles/${encodeURIComponent(id)}`,
      patch,
    );
    if (values.json) {
      out.json(body);
      return 0;
    }
    const correction = body.corrections.find((c) => c.revision === body.revision);
    out.line(
      `${correction ? "corrected" : "revised"}: ${body.headline} (revision ${body.revision})`,
    );
    if (correction) out.line(`  correction ${correction.note}`);
    out.line(`  article    ${body.url}`);
    out.line(`  history    ${body.url}/history`);
    return 0;
  },
};

/** The fields a file names, as a PATCH body (a Markdown file without a body keeps the stored one). */
async function changesFromFile(file: string): Promise<Record<string, unknown>> {
  const text = await readTextFile(file);
  const markdown =
    /\.(md|markdown|mdown)$/i.test(file) ||
    (!file.endsWith(".json") && text.trimStart().startsWith("---"));
  if (!markdown) return articleFromJson(text, file);
  const fields = articleFromMarkdown(text, file);
  if (fields.bodyHtml === "") delete fields.bodyHtml;
  return fields;
}
