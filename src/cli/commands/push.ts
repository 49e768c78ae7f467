import { type ArticleJson, clientFromOptions, type FeedJson } from "../api-client.ts";
import { COMMON_USAGE, expectPositionals, parseCommandArgs } from "../args.ts";
import type { Command } from "../command.ts";
import { loadArticleFile } from "../formats/article-file.ts";
import { feedLines } from "../output.ts";

const USAGE = `Usage: tidings push FILE [--feed SLUG]... [--image-url URL] [--external-id ID] [--json]

Publishes the story in FILE, then prints its URL and where its feeds are published.

  FILE.json  the admin API's article JSON
  FILE.md    Markdown with YAML front matter; its keys are article fields (headline, standfirst,
             authors, image, tags, feeds, language, publishedAt, canonicalUrl, externalId, pinned)
  FILE.txt   a plain-text agency wire story; the file name is its externalId, so pushing the
             file again returns the stored article instead of creating a second one

Options:
  --feed SLUG         publish to this feed (repeat for more; the first is the home feed);
                      replaces the feeds named in the file
  --image-url URL     the lead image's address; a wire story's photo caption and credit are only
                      kept with one
  --external-id ID    your CMS's id for the story: pushing the same id again changes nothing and
                      prints the stored article
  --json              print the API's article JSON instead

${COMMON_USAGE}`;

export const pushCommand: Command = {
  name: "push",
  synopsis: "push FILE --feed SLUG",
  summary: "publish a story from article JSON, Markdown or a wire story",
  usage: USAGE,
  async run(args, { out, env }) {
    const { values, positionals } = parseCommandArgs(
      args,
      {
        feed: { type: "string", multiple: true },
        "image-url": { type: "string" },
        "external-id": { type: "string" },
      },
      USAGE,
    );
    if (values.help) {
      out.line(USAGE);
      return 0;
    }
    const [file = ""] = expectPositionals(positionals, ["FILE"], USAGE);
    const client = clientFromOptions(values, env);
    const { article, warnings } = await loadArticleFile(
      file,
      {
        feeds: values.feed ?? [],
        imageUrl: values["image-url"],
        externalId: values["external-id"],
      },
      USAGE,
    );
    for (const warning of warnings) out.warn(warning);

    const { status, body } = await client.post<ArticleJson>("/admin/articles", article);
    if (values.json) {
      out.json(body);
      return 0;
    }
    const feeds = await Promise.all(
      body.feeds.map(
        async (slug) =>
          (await client.get<FeedJson>(`/admin/feeds/${encodeURIComponent(slug)}`)).body,
      ),
    );
    out.line(
      status === 201
        ? `published: ${body.headline}`
        : `already there (externalId ${body.externalId}), nothing changed: ${body.headline}`,
    );
    out.line(`  article    ${body.url}`);
    out.line(`  id         ${body.id}`);
    out.line(`  ${body.status === "scheduled" ? "scheduled" : "published"}  ${body.publishedAt}`);
    for (const feed of feeds) for (const line of feedLines(feed)) out.line(line);
    return 0;
  },
};
