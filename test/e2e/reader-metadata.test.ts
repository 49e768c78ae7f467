/**
 * What feed readers and crawlers look for besides the feeds' items: icons (in every format, and
 * `/favicon.ico`) and lead images as thumbnails, through the whole app on both databases.
 */
import { XMLParser, XMLValidator } from "fast-xml-parser";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DATABASE_KINDS } from "../support/databases.ts";
import { fixtureStoryPush } from "../support/fixture-push.ts";
import { createTestApp, fixedClock, PUBLIC_URL, type TestApp } from "../support/test-app.ts";

const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: "@" });
const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

function parseXml(body: string) {
  expect(XMLValidator.validate(body)).toBe(true);
  return parser.parse(body);
}

describe.each(DATABASE_KINDS)("reader metadata on %s", (kind) => {
  let t: TestApp;
  const clock = fixedClock(new Date("2026-11-26T12:00:00Z"));

  beforeAll(async () => {
    t = await createTestApp(kind, { clock });
    expect((await t.admin("POST", "/admin/articles", fixtureStoryPush())).status).toBe(201);
  });
  afterAll(() => t.destroy());

  const text = async (path: string) => (await t.get(path)).text();

  it("names the feed's drawn icon and header in RSS, Atom and JSON Feed when it has none", async () => {
    const icon = `${PUBLIC_URL}/media/feeds/world/icon.png`;
    const header = `${PUBLIC_URL}/media/feeds/world/header.png`;
    const rss = parseXml(await text("/feeds/world.rss")).rss.channel;
    expect(rss.image).toEqual({ title: "World", url: icon, link: `${PUBLIC_URL}/world` });
    const atom = parseXml(await text("/feeds/world.atom")).feed;
    expect(atom.icon).toBe(icon);
    expect(atom.logo).toBe(header);
    const json = JSON.parse(await text("/feeds/world.json"));
    expect(json.icon).toBe(icon);
    expect(json.favicon).toBe(icon);
    // The named images exist, as PNG.
    for (const url of [icon, header]) {
      const image = await t.get(url.slice(PUBLIC_URL.length));
      expect(image.status).toBe(200);
      expect(image.headers.get("content-type")).toBe("image/png");
      expect([...new Uint8Array(await image.arrayBuffer()).subarray(0, 8)]).toEqual(PNG_SIGNATURE);
    }
  });

  it("uses the feed's own iconUrl and imageUrl once set, in every format", async () => {
    const patch = await t.admin("PATCH", "/admin/feeds/world", {
      iconUrl: "https://cdn.news.example/world-icon.png",
      imageUrl: "https://cdn.news.example/world-banner.jpg",
    });
    expect(patch.status).toBe(200);
    const rss = parseXml(await text("/feeds/world.rss")).rss.channel;
    expect(rss.image.url).toBe("https://cdn.news.example/world-icon.png");
    const atom = parseXml(await text("/feeds/world.atom")).feed;
    expect(atom.icon).toBe("https://cdn.news.example/world-icon.png");
    expect(atom.logo).toBe("https://cdn.news.example/world-banner.jpg");
    const json = JSON.parse(await text("/feeds/world.json"));
    expect(json.icon).toBe("https://cdn.news.example/world-icon.png");
    expect(json.favicon).toBe("https://cdn.news.example/world-icon.png");
  });

  it("gives tag feeds the service's own icon, which exists", async () => {
    const json = JSON.parse(await text("/tags/syria.json"));
    expect(json.icon).toBe(`${PUBLIC_URL}/assets/icon.png`);
    const atom = parseXml(await text("/tags/syria.atom")).feed;
    expect(atom.icon).toBe(`${PUBLIC_URL}/assets/icon.png`);
    const icon = await t.get("/assets/icon.png");
    expect(icon.headers.get("content-type")).toBe("image/png");
    expect([...new Uint8Array(await icon.arrayBuffer()).subarray(0, 8)]).toEqual(PNG_SIGNATURE);
  });

  it("serves /favicon.ico as a real ICO holding a PNG, with caching headers and 304", async () => {
    const response = await t.get("/favicon.ico");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("image/vnd.microsoft.icon");
    expect(response.headers.get("cache-control")).toMatch(/^public, max-age=\d+/);
    const etag = response.headers.get("etag") ?? "";
    expect(etag).toMatch(/^"[\w-]+"$/);
    const bytes = new Uint8Array(await response.arrayBuffer());
    expect(Number(response.headers.get("content-length"))).toBe(bytes.byteLength);
    const view = new DataView(bytes.buffer);
    // ICONDIR: reserved 0, type 1 (icon), one image.
    expect([view.getUint16(0, true), view.getUint16(2, true), view.getUint16(4, true)]).toEqual([
      0, 1, 1,
    ]);
    // ICONDIRENTRY: 256×256 (stored as 0), the image's size and where it starts.
    expect([bytes[6], bytes[7]]).toEqual([0, 0]);
    const size = view.getUint32(14, true);
    const offset = view.getUint32(18, true);
    expect(offset + size).toBe(bytes.byteLength);
    const png = bytes.subarray(offset);
    expect([...png.subarray(0, 8)]).toEqual(PNG_SIGNATURE);
    // IHDR: 256×256.
    const ihdr = new DataView(png.buffer, png.byteOffset + 16, 8);
    expect([ihdr.getUint32(0), ihdr.getUint32(4)]).toEqual([256, 256]);

    const again = await t.get("/favicon.ico", { "if-none-match": etag });
    expect(again.status).toBe(304);
    expect(again.headers.get("etag")).toBe(etag);
    expect(await again.text()).toBe("");
  });

  it("gives each lead image as media:content and media:thumbnail, with its registered type", async () => {
    const image = "https://news.example/media/assad-interview.jpg";
    const rssItem = parseXml(await text("/feeds/us-russia-syria.rss")).rss.channel.item;
    expect(rssItem["media:content"]["@url"]).toBe(image);
    expect(rssItem["media:content"]["@type"]).toBe("image/jpeg");
    expect(rssItem["media:thumbnail"]["@url"]).toBe(image);

    const atomXml = await text("/feeds/us-russia-syria.atom");
    const atom = parseXml(atomXml).feed;
    expect(atom["@xmlns:media"]).toBe("http://search.yahoo.com/mrss/");
    expect(atom.entry["media:thumbnail"]["@url"]).toBe(image);
    const enclosure = atom.entry.link.find(
      (link: Record<string, string>) => link["@rel"] === "enclosure",
    );
    expect(enclosure["@href"]).toBe(image);
    expect(enclosure["@type"]).toBe("image/jpeg");
  });
});
