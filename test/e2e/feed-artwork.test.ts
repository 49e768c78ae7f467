import { inflateSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { crc32 } from "../../src/web/feed-artwork.ts";
import { type FederatedServer, startFederatedServer } from "../support/federated-server.ts";
import { fetchActor, type PeerServer, startPeerServer } from "../support/fediverse-peer.ts";

type Json = Record<string, unknown>;

/** Reads a PNG the way a decoder would (chunks, CRCs, zlib), and returns its size and pixels. */
function readPng(bytes: Uint8Array) {
  expect([...bytes.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const chunks: Array<{ type: string; data: Uint8Array }> = [];
  let at = 8;
  while (at < bytes.length && chunks.length < 16) {
    const length = view.getUint32(at);
    const type = new TextDecoder().decode(bytes.subarray(at + 4, at + 8));
    const data = bytes.subarray(at + 8, at + 8 + length);
    expect(view.getUint32(at + 8 + length), `${type} CRC`).toBe(
      crc32(bytes.subarray(at + 4, at + 8 + length)),
    );
    chunks.push({ type, data });
    at += 12 + length;
  }
  expect(chunks.map((c) => c.type)).toEqual(["IHDR", "PLTE", "IDAT", "IEND"]);
  const ihdr = chunks[0]?.data ?? new Uint8Array();
  const header = new DataView(ihdr.buffer, ihdr.byteOffset, ihdr.byteLength);
  const width = header.getUint32(0);
  const height = header.getUint32(4);
  const pixels = inflateSync(chunks[2]?.data ?? new Uint8Array());
  expect(pixels.length).toBe((Math.ceil(width / 8) + 1) * height);
  return { width, height, pixels };
}

/**
 * Every feed actor has an avatar and a header: its own when set, otherwise PNGs Tidings draws
 * per feed. The independent peer reads the actor and fetches both, as Mastodon would.
 */
describe("feed avatars and headers", () => {
  let server: FederatedServer;
  let peer: PeerServer;

  beforeAll(async () => {
    server = await startFederatedServer("pglite", "direct");
    peer = await startPeerServer({ host: "127.0.0.13", actors: ["alice"] });
  });
  afterAll(async () => {
    await peer?.close();
    await server?.close();
  });

  const images = async (slug: string) => {
    const actor = (await fetchActor(`${server.url}/ap/feeds/${slug}`, {
      signAs: peer.actor("alice"),
    })) as Json & { icon: Json; image: Json };
    return { icon: actor.icon, image: actor.image };
  };

  it("serves a default PNG avatar and header for a feed without its own", async () => {
    const { icon, image } = await images("world");
    expect(icon).toMatchObject({ type: "Image", mediaType: "image/png" });
    expect(image).toMatchObject({ type: "Image", mediaType: "image/png" });
    const sizes: Array<[number, number]> = [];
    for (const { url } of [icon, image]) {
      const response = await fetch(String(url));
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toBe("image/png");
      expect(response.headers.get("cache-control")).toContain("max-age=31536000");
      const bytes = new Uint8Array(await response.arrayBuffer());
      expect(bytes.length).toBeLessThan(2 * 1024 * 1024); // Mastodon's limit
      const png = readPng(bytes);
      sizes.push([png.width, png.height]);
      expect(png.pixels.some((byte) => byte !== 0)).toBe(true); // a pattern, not a blank
      const etag = response.headers.get("etag");
      expect(etag).toMatch(/^".+"$/);
      const again = await fetch(String(url), { headers: { "if-none-match": etag ?? "" } });
      expect(again.status).toBe(304);
    }
    expect(sizes).toEqual([
      [400, 400],
      [1500, 500],
    ]);
  });

  it("draws each feed its own, and uses the feed's images when set", async () => {
    const world = await fetch(`${server.url}/media/feeds/world/icon.png`);
    const other = await fetch(`${server.url}/media/feeds/us-russia-syria/icon.png`);
    expect(world.headers.get("etag")).not.toBe(other.headers.get("etag"));
    expect(Buffer.from(await world.arrayBuffer())).not.toEqual(
      Buffer.from(await other.arrayBuffer()),
    );
    const patched = await server.admin("PATCH", "/admin/feeds/world", {
      iconUrl: "https://cdn.example/world.jpg",
      imageUrl: "https://cdn.example/world-header.webp",
    });
    expect(patched.status).toBe(200);
    const { icon, image } = await images("world");
    expect(icon).toMatchObject({ url: "https://cdn.example/world.jpg", mediaType: "image/jpeg" });
    expect(image).toMatchObject({
      url: "https://cdn.example/world-header.webp",
      mediaType: "image/webp",
    });
    expect((await fetch(`${server.url}/media/feeds/world/logo.svg`)).status).toBe(404);
  });
});
