import { readFile } from "node:fs/promises";
import { basename } from "node:path";
import { parseArgs } from "node:util";
import { parseWireStory, wireStoryToArticleJson } from "../content/wire-story.ts";

/**
 * Prints the admin API JSON for a plain-text wire story, for piping into curl:
 *   npm run --silent wire-to-json -- STORY.txt --feed world | curl … --data-binary @-
 * The file name (without .txt) becomes the externalId, so pushing twice creates one article.
 */
const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    feed: { type: "string", multiple: true },
    "image-url": { type: "string" },
  },
});
const file = positionals[0];
if (!file || !values.feed?.length) {
  console.error("usage: wire-to-json STORY.txt --feed SLUG [--feed SLUG] [--image-url URL]");
  process.exit(2);
}
const story = parseWireStory(await readFile(file, "utf8"));
const json = wireStoryToArticleJson(story, {
  feeds: values.feed,
  externalId: basename(file).replace(/\.[^.]+$/, ""),
  ...(values["image-url"] ? { imageUrl: values["image-url"] } : {}),
});
process.stdout.write(`${JSON.stringify(json, null, 2)}\n`);
