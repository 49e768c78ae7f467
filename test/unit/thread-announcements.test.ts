import { describe, expect, it } from "vitest";
import type { Article, LiveUpdate } from "../../src/domain/article.ts";
import {
  changeAnnouncements,
  publishedBy,
  updateAnnouncements,
  visibleAt,
} from "../../src/domain/thread-announcements.ts";
import { fixtureStory } from "../support/fixture-story.ts";

const now = new Date("2016-07-20T12:00:00Z");
const hour = 3_600_000;
const at = (offsetHours: number) => new Date(now.getTime() + offsetHours * hour);
const story: Article = { ...fixtureStory(), publishedAt: at(-2) };
const update = (extra: Partial<LiveUpdate> = {}): LiveUpdate => ({
  id: "0191c8a2-7a3e-7cc1-9d3e-000000000001",
  articleId: story.id,
  externalId: null,
  headline: null,
  bodyHtml: "<p>Update</p>",
  authors: [],
  image: null,
  publishedAt: at(-1),
  updatedAt: at(-1),
  createdAt: at(-1),
  revision: 1,
  deletedAt: null,
  ...extra,
});
const kinds = (entries: ReturnType<typeof updateAnnouncements>) =>
  entries.map((e) => [e.feedSlug, e.kind, e.revision, e.availableAt.toISOString()]);

/** When each of a live update's posts goes out, and as what (src/domain/thread-announcements.ts). */
describe("thread announcements", () => {
  it("announces a new update in every feed of its story, not before the update or the story", () => {
    expect(kinds(updateAnnouncements(story, update(), "create", now))).toEqual([
      ["world", "create", 1, now.toISOString()],
      ["us-russia-syria", "create", 1, now.toISOString()],
    ]);
    const embargoed = update({ publishedAt: at(3) });
    expect(updateAnnouncements(story, embargoed, "create", now)[0]?.availableAt).toEqual(at(3));
    const scheduledStory = { ...story, publishedAt: at(5) };
    expect(updateAnnouncements(scheduledStory, embargoed, "create", now)[0]?.availableAt).toEqual(
      at(5),
    );
    expect(updateAnnouncements(story, update(), "create", now)[0]?.liveUpdateId).toBe(update().id);
  });

  it("revises what was sent with Update, and what was not yet with its Create", () => {
    const revised = update({ revision: 2, bodyHtml: "<p>Edited</p>" });
    expect(changeAnnouncements(story, update(), revised, now).map((e) => e.kind)).toEqual([
      "update",
      "update",
    ]);
    const waiting = update({ publishedAt: at(1) });
    const moved = { ...waiting, publishedAt: at(4), revision: 2 };
    expect(kinds(changeAnnouncements(story, waiting, moved, now))[0]).toEqual([
      "world",
      "create",
      2,
      at(4).toISOString(),
    ]);
  });

  it("deletes at once what was sent, and sends nothing about what never was", () => {
    const deleted = update({ deletedAt: now, revision: 2 });
    expect(kinds(changeAnnouncements(story, update(), deleted, now))[0]).toEqual([
      "world",
      "delete",
      2,
      now.toISOString(),
    ]);
    const waiting = update({ publishedAt: at(1) });
    expect(changeAnnouncements(story, waiting, { ...waiting, deletedAt: now }, now)).toEqual([]);
  });

  it("tells visible from embargoed and deleted, and what had been published by a time", () => {
    expect(visibleAt(story, update(), now)).toBe(true);
    expect(visibleAt(story, update({ publishedAt: at(1) }), now)).toBe(false);
    expect(visibleAt({ ...story, publishedAt: at(1) }, update(), now)).toBe(false);
    expect(visibleAt(story, update({ deletedAt: now }), now)).toBe(false);
    expect(publishedBy(story, update({ deletedAt: at(-0.5) }), at(-0.5))).toBe(true);
    expect(publishedBy(story, update({ publishedAt: at(1) }), now)).toBe(false);
  });
});
