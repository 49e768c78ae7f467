import type { Feed } from "../../src/domain/feed.ts";

/** A plain section feed (feeds/world.json's defaults), for tests and benchmarks that need a Feed. */
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
  quotePolicy: "everyone",
  closedAt: null,
  createdAt: new Date("2026-01-01T00:00:00Z"),
  updatedAt: new Date("2026-01-01T00:00:00Z"),
};
