/**
 * Realistic full-content articles for the benchmark: the shared wire story (17 body paragraphs,
 * lead image with caption and credit), with a unique marker in each headline.
 */
import { readFileSync } from "node:fs";
import {
  parseWireStory,
  type WireStory,
  wireStoryToArticleJson,
} from "../../../src/content/wire-story.ts";
import { FIXTURE_STORY_PATH } from "../../../test/support/fixture-push.ts";

const story = parseWireStory(readFileSync(FIXTURE_STORY_PATH, "utf8"));
if (story.paragraphs.length !== 17) {
  throw new Error(
    `expected 17 body paragraphs in ${FIXTURE_STORY_PATH}, found ${story.paragraphs.length}`,
  );
}

export const FEED_SLUG = "world";

/**
 * 50 verbatim copies of one story would make the feed compress about 45:1 (gzip finds each
 * copy in the previous one), far from real feeds (~4:1), and would flatter every gzip figure.
 * So each article gets the story's 17 paragraphs with the words of each paragraph shuffled by a
 * seeded PRNG: same paragraphs, sizes, vocabulary and markup; text as varied as 50 stories.
 * BENCH_VERBATIM=1 pushes the verbatim story instead.
 */
const VERBATIM = process.env.BENCH_VERBATIM === "1";
let variants = 0;

function variantOf(seed: number): WireStory {
  if (VERBATIM) return story;
  const paragraphs = story.paragraphs.map((paragraph, index) => {
    const words = paragraph.split(" ");
    const random = mulberry32(seed * 1_000 + index);
    for (let i = words.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [words[i], words[j]] = [words[j] as string, words[i] as string];
    }
    return words.join(" ");
  });
  return { ...story, paragraphs };
}

function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** The admin API body for one story; `marker` makes the headline unique and findable. */
export function articlePush(marker: string, publishedAt?: Date) {
  const base = wireStoryToArticleJson(variantOf(++variants), {
    feeds: [FEED_SLUG],
    imageUrl: "https://news.example/media/assad-interview.jpg",
  });
  const { publishedAt: _storyDate, ...rest } = base;
  return {
    ...rest,
    headline: `${story.headline} [${marker}]`,
    standfirst:
      "John Kerry says Washington and Moscow have agreed on the direction they will take in Syria.",
    authors: [{ name: "World desk", url: "https://news.example/authors/world-desk" }],
    tags: ["Syria", "Russia", "United States", "John Kerry", "Sergei Lavrov"],
    ...(publishedAt ? { publishedAt: publishedAt.toISOString() } : {}),
  };
}
