import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseWireStory, wireStoryToArticleJson } from "../../src/content/wire-story.ts";

export const FIXTURE_STORY_PATH = join(
  import.meta.dirname,
  "../fixtures/stories/us-russia-syria-2016-07-20.txt",
);

/** The admin API JSON that pushes the shared wire-story fixture to both shipped feeds. */
export function fixtureStoryPush() {
  const story = parseWireStory(readFileSync(FIXTURE_STORY_PATH, "utf8"));
  return {
    ...wireStoryToArticleJson(story, {
      feeds: ["us-russia-syria", "world"],
      externalId: "us-russia-syria-2016-07-20",
      imageUrl: "https://news.example/media/assad-interview.jpg",
    }),
    standfirst:
      "John Kerry says Washington and Moscow have agreed on the direction they will take in Syria.",
    authors: [{ name: "BBC News", url: "https://www.bbc.co.uk/news" }],
    tags: ["Syria", "Russia", "United States"],
    language: "en-GB",
  };
}
