import { describe, expect, it } from "vitest";
import type { Article, Correction, LiveUpdate } from "../../src/domain/article.ts";
import type { Repositories } from "../../src/domain/ports.ts";
import {
  changeAnnouncements,
  correctionAnnouncements,
  correctionInThread,
  publishedBy,
  threadedCorrections,
  threadFollowUps,
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

  it("gives a correction a reply in the thread only when made once the story was public", () => {
    const correction = (n: number, correctedAt: Date): Correction => ({
      id: `0196f1a2-0000-7000-8000-00000000000${n}`,
      revision: n + 1,
      note: `Note ${n}`,
      correctedAt,
    });
    const underEmbargo = correction(1, at(-3));
    const afterRelease = correction(2, at(-1));
    const corrected = { ...story, corrections: [afterRelease, underEmbargo] };
    expect(correctionInThread(story, underEmbargo)).toBe(false);
    expect(correctionInThread(story, afterRelease)).toBe(true);
    expect(threadedCorrections(corrected)).toEqual([afterRelease]);
    const entries = correctionAnnouncements(corrected, afterRelease, "create", now);
    expect(entries.map((e) => [e.feedSlug, e.kind, e.correctionId, e.liveUpdateId])).toEqual([
      ["world", "create", afterRelease.id, undefined],
      ["us-russia-syria", "create", afterRelease.id, undefined],
    ]);
  });

  it("deletes the correction's reply with the story, and posts it in a feed the story joins", async () => {
    const correction: Correction = {
      id: "0196f1a2-0000-7000-8000-000000000009",
      revision: 2,
      note: "Geneva, not Vienna.",
      correctedAt: at(-1),
    };
    const corrected: Article = { ...story, revision: 2, corrections: [correction] };
    const noUpdates = {
      liveUpdates: { listForArticle: async () => [] },
    } as unknown as Repositories;
    const deleted = { ...corrected, deletedAt: now, revision: 3 };
    const onDelete = await threadFollowUps(noUpdates, corrected, deleted, now);
    expect(onDelete.map((e) => [e.feedSlug, e.kind, e.correctionId])).toEqual([
      ["world", "delete", correction.id],
      ["us-russia-syria", "delete", correction.id],
    ]);
    const joined = { ...corrected, feeds: [...corrected.feeds, "geneva-2016"], revision: 3 };
    const onJoin = await threadFollowUps(noUpdates, corrected, joined, now);
    expect(onJoin.map((e) => [e.feedSlug, e.kind, e.correctionId])).toEqual([
      ["geneva-2016", "create", correction.id],
    ]);
  });
});
