import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseWireStory, wireStoryToArticleJson } from "../../src/content/wire-story.ts";
import { FIXTURE_STORY_PATH } from "../support/fixture-push.ts";

describe("wire story format", () => {
  const story = parseWireStory(readFileSync(FIXTURE_STORY_PATH, "utf8"));

  it("reads headline, dateline, photo caption with credit, and body paragraphs", () => {
    expect(story.headline).toBe("US and Russia plan 'concrete steps' for Syria");
    expect(story.date?.toISOString()).toBe("2016-07-20T00:00:00.000Z");
    expect(story.photo?.credit).toBe("REUTERS/SANA/Handout via Reuters");
    expect(story.photo?.caption).toMatch(/^Syria's President Bashar al-Assad answers questions/);
    expect(story.photo?.caption).toMatch(/against the militant group\.$/);
    expect(story.paragraphs).toHaveLength(17);
    expect(story.paragraphs[0]).toMatch(/^US Secretary of State John Kerry says/);
    expect(story.paragraphs[16]).toMatch(/^"Lavrov told Kerry/);
  });

  it("drops the agency's notes to editors", () => {
    expect(JSON.stringify(story)).not.toMatch(/ATTENTION EDITORS|RTX1POV8/);
  });

  it("becomes admin API JSON with escaped paragraphs and an image when given a URL", () => {
    const json = wireStoryToArticleJson(
      { ...story, paragraphs: ["Tom & Jerry <3"] },
      { feeds: ["world"], externalId: "x", imageUrl: "https://news.example/a.jpg" },
    );
    expect(json.bodyHtml).toBe("<p>Tom &amp; Jerry &lt;3</p>");
    expect(json.image?.alt).toBe(
      "Syria's President Bashar al-Assad answers questions during an interview with al-Manar's journalist Amro Nassef, in Damascus, Syria, in this handout photograph released by Syria's national news agency SANA on August 25, 2015.",
    );
    expect(json.publishedAt).toBe("2016-07-20T00:00:00.000Z");
  });
});
