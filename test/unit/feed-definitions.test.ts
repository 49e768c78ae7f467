import { describe, expect, it } from "vitest";
import { FeedDefinitionError, parseFeedDefinitions } from "../../src/schemas/feed-definitions.ts";
import { shippedFeedFiles } from "../support/test-app.ts";

describe("feed definitions", () => {
  it("accepts the shipped feeds: a section and a developing story", async () => {
    const definitions = parseFeedDefinitions(await shippedFeedFiles());
    expect(definitions.map((d) => [d.feed.slug, d.feed.kind])).toEqual([
      ["us-russia-syria", "story"],
      ["world", "section"],
    ]);
  });

  it("fills defaults for optional fields", () => {
    const [definition] = parseFeedDefinitions([
      { name: "feeds/sport.json", text: '{"slug": "sport", "title": "Sport"}' },
    ]);
    expect(definition?.feed).toEqual({
      slug: "sport",
      kind: "section",
      title: "Sport",
      description: "",
      language: "en",
      status: "open",
      iconUrl: null,
      imageUrl: null,
      actorType: "Organization",
      objectType: "Note",
      quotePolicy: "everyone",
    });
  });

  it("names the file and field of every problem, all at once", () => {
    let error: unknown;
    try {
      parseFeedDefinitions([
        { name: "feeds/a.json", text: "{not json" },
        { name: "feeds/b.json", text: '{"slug": "b", "title": "", "kind": "blog"}' },
        { name: "feeds/c.json", text: '{"slug": "other", "title": "C"}' },
        { name: "feeds/d.json", text: '{"slug": "d", "title": "D", "colour": "red"}' },
      ]);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(FeedDefinitionError);
    const problems = (error as FeedDefinitionError).problems;
    expect(problems).toHaveLength(5);
    expect(problems[0]).toMatch(/^feeds\/a\.json: not valid JSON/);
    expect(problems.filter((p) => p.startsWith("feeds/b.json: title:"))).toHaveLength(1);
    expect(problems.filter((p) => p.startsWith("feeds/b.json: kind:"))).toHaveLength(1);
    expect(problems).toContain('feeds/c.json: slug: must be "c" to match the file name');
    expect(problems.some((p) => p.startsWith("feeds/d.json: colour:"))).toBe(true);
  });
});
