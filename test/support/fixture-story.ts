import { readFileSync } from "node:fs";
import { sanitizeArticleHtml } from "../../src/content/sanitize-html.ts";
import type { Article } from "../../src/domain/article.ts";
import type { Feed } from "../../src/domain/feed.ts";
import { articleUrl } from "../../src/domain/urls.ts";

/** A real wire story (2016), kept in test/fixtures/stories so a clean clone has it. */
const STORY_FILE = new URL("../fixtures/stories/us-russia-syria-2016-07-20.txt", import.meta.url);

export const FIXTURE_PUBLIC_URL = "https://news.example";
export const FIXTURE_ARTICLE_ID = "0191c8a2-7a3e-7cc1-9d3e-5a1b2c3d4e5f";

const CAPTION_START = "Syria's President Bashar al-Assad answers questions";
const CREDIT = "REUTERS/SANA/Handout via Reuters";
const BODY_PARAGRAPHS = 17;

function escapeText(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");
}

/**
 * The story as an Article. File layout: headline, a "• dd/mm/yyyy" line, the photo caption, then
 * the body paragraphs. The caption runs into the agency credit followed by notes to editors
 * ("ATTENTION EDITORS - …"); the credit is kept, the notes are not for readers and are dropped.
 */
export function fixtureStory(): Article {
  const lines = readFileSync(STORY_FILE, "utf8")
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== "");
  const [headline, dateLine, captionLine, ...paragraphs] = lines;
  if (headline === undefined || dateLine === undefined || captionLine === undefined) {
    throw new Error("fixture story is truncated");
  }
  const date = /(\d{2})\/(\d{2})\/(\d{4})/.exec(dateLine);
  const creditAt = captionLine.indexOf(CREDIT);
  if (date === null || !captionLine.startsWith(CAPTION_START) || creditAt < 0) {
    throw new Error("fixture story does not have the expected layout");
  }
  if (paragraphs.length !== BODY_PARAGRAPHS) {
    throw new Error(`expected ${BODY_PARAGRAPHS} body paragraphs, found ${paragraphs.length}`);
  }
  const [, day, month, year] = date;
  const publishedAt = new Date(`${year}-${month}-${day}T00:00:00.000Z`);
  const url = articleUrl(FIXTURE_PUBLIC_URL, FIXTURE_ARTICLE_ID);
  return {
    id: FIXTURE_ARTICLE_ID,
    externalId: "us-russia-syria-2016-07-20",
    headline,
    standfirst: null,
    bodyHtml: sanitizeArticleHtml(
      paragraphs.map((paragraph) => `<p>${escapeText(paragraph)}</p>`).join("\n"),
      url,
    ),
    authors: [{ name: "World desk", url: `${FIXTURE_PUBLIC_URL}/authors/world-desk` }],
    image: {
      url: `${FIXTURE_PUBLIC_URL}/media/assad.jpg`,
      alt: "Bashar al-Assad answering questions during a television interview in Damascus",
      // The wire caption has a double space after the first sentence; fold it.
      caption: captionLine.slice(0, creditAt).replace(/\s+/g, " ").trim(),
      credit: CREDIT,
    },
    tags: ["Syria", "Russia", "United States", "John Kerry", "Sergei Lavrov"],
    feeds: ["world", "us-russia-syria"],
    language: "en-GB",
    canonicalUrl: null,
    publishedAt,
    updatedAt: publishedAt,
    createdAt: publishedAt,
    revision: 1,
    deletedAt: null,
    live: false,
    pinned: false,
  };
}

/** The developing-story feed the fixture story belongs to. */
export function fixtureFeed(): Feed {
  const createdAt = new Date("2016-07-01T09:00:00.000Z");
  return {
    slug: "us-russia-syria",
    kind: "story",
    title: "US, Russia and Syria",
    description: "Diplomacy between Washington and Moscow over the war in Syria.",
    language: "en-GB",
    status: "open",
    iconUrl: `${FIXTURE_PUBLIC_URL}/media/feeds/us-russia-syria.png`,
    imageUrl: null,
    actorType: "Organization",
    objectType: "Note",
    quotePolicy: "everyone",
    closedAt: null,
    createdAt,
    updatedAt: createdAt,
  };
}
