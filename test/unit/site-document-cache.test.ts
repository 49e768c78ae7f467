import { describe, expect, it } from "vitest";
import { type SiteDocument, SiteDocumentCache } from "../../src/syndication/site-document-cache.ts";
import { deferred } from "../support/deferred.ts";
import { fixedClock } from "../support/test-app.ts";

function setup(options: { validUntil?: Date | null; maxAgeMs?: number } = {}) {
  const clock = fixedClock(new Date("2026-11-26T12:00:00Z"));
  let builds = 0;
  let gate: Promise<void> = Promise.resolve();
  const build = async (): Promise<SiteDocument> => {
    const version = ++builds;
    await gate;
    return {
      text: `<doc>v${version}</doc>`,
      contentType: "application/xml; charset=utf-8",
      updated: clock.now(),
      validUntil: options.validUntil ?? null,
    };
  };
  const cache = new SiteDocumentCache({
    builders: { sitemap: build },
    clock,
    maxAgeMs: options.maxAgeMs,
  });
  const text = async () => new TextDecoder().decode((await cache.get("sitemap")).identity);
  return {
    cache,
    clock,
    text,
    builds: () => builds,
    hold: (promise: Promise<void>) => {
      gate = promise;
    },
  };
}

describe("SiteDocumentCache", () => {
  it("builds once and answers every later read from memory", async () => {
    const { text, builds } = setup();
    expect(await text()).toBe("<doc>v1</doc>");
    expect(await text()).toBe("<doc>v1</doc>");
    expect(builds()).toBe(1);
  });

  it("shares one build between concurrent readers", async () => {
    const { text, builds, hold } = setup();
    const release = deferred<void>();
    hold(release.promise);
    const reads = [text(), text(), text()];
    release.resolve();
    expect(await Promise.all(reads)).toEqual(["<doc>v1</doc>", "<doc>v1</doc>", "<doc>v1</doc>"]);
    expect(builds()).toBe(1);
  });

  it("rebuilds after a change, and never answers with a build older than it", async () => {
    const { cache, text, builds, hold } = setup();
    expect(await text()).toBe("<doc>v1</doc>");
    cache.invalidate();
    expect(await text()).toBe("<doc>v2</doc>");
    // A change during a build: the read waits for a build that started after it.
    const release = deferred<void>();
    hold(release.promise);
    cache.invalidate();
    const read = text();
    cache.invalidate();
    release.resolve();
    expect(await read).toBe("<doc>v4</doc>");
    expect(builds()).toBe(4);
  });

  it("rebuilds by itself once the document's validity ends", async () => {
    const { text, clock, builds } = setup({ validUntil: new Date("2026-11-26T14:00:00Z") });
    expect(await text()).toBe("<doc>v1</doc>");
    clock.set(new Date("2026-11-26T13:59:59Z"));
    expect(await text()).toBe("<doc>v1</doc>");
    clock.set(new Date("2026-11-26T14:00:00Z"));
    expect(await text()).toBe("<doc>v2</doc>");
    expect(builds()).toBe(2);
  });

  it("reuses nothing with maxAgeMs 0 (Workers)", async () => {
    const { text, builds } = setup({ maxAgeMs: 0 });
    await text();
    await text();
    expect(builds()).toBe(2);
  });
});
