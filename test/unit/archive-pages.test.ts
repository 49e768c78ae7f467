import { describe, expect, it } from "vitest";
import { archivePage, newestArchivePage } from "../../src/domain/archive.ts";

describe("archive pages (fixed boundaries)", () => {
  it("has no page for an empty archive", () => {
    expect(newestArchivePage(0, 50)).toBeNull();
    expect(archivePage(1, 0, 50)).toBeUndefined();
  });

  it("numbers pages from the oldest: full ones, then the one filling", () => {
    expect(newestArchivePage(230, 50)).toBe(5);
    expect(archivePage(4, 230, 50)).toEqual({
      number: 4,
      newest: 5,
      full: true,
      offset: 150,
      size: 50,
    });
    expect(archivePage(5, 230, 50)).toEqual({
      number: 5,
      newest: 5,
      full: false,
      offset: 200,
      size: 50,
    });
    expect(archivePage(6, 230, 50)).toBeUndefined();
  });

  it("answers the page after a full newest one, empty, since the full one links it already", () => {
    expect(newestArchivePage(200, 50)).toBe(4);
    expect(archivePage(4, 200, 50)?.full).toBe(true);
    expect(archivePage(5, 200, 50)).toEqual({
      number: 5,
      newest: 4,
      full: false,
      offset: 200,
      size: 50,
    });
    expect(archivePage(6, 200, 50)).toBeUndefined();
  });

  it("has no page 0, negative or fractional pages", () => {
    for (const number of [0, -1, 1.5, Number.NaN])
      expect(archivePage(number, 230, 50)).toBeUndefined();
  });
});
