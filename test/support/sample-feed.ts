import type { Feed } from "../../src/domain/feed.ts";

/** A plain section feed, for tests that need a Feed but not a database. */
export const sampleFeed: Feed = {
  slug: "world",
  kind: "section",
  title: "World",
  description: "",
  language: "en",
  status: "open",
  iconUrl: null,
  imageUrl: null,
  actorType: "Organization",
  objectType: "Note",
  createdAt: new Date("2026-01-01T00:00:00Z"),
  updatedAt: new Date("2026-01-01T00:00:00Z"),
};
