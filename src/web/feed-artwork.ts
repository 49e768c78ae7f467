/**
 * A feed's default avatar and header, for feeds without `iconUrl`/`imageUrl`: a symmetric 5×5
 * pattern (an identicon) and stripes, on a colour derived from the slug. PNG, as Mastodon accepts
 * (no SVG), two-colour palette at 1 bit per pixel, so a 400×400 avatar is about 20 KB and a
 * 1500×500 header about 95 KB. Pure TypeScript with stored (uncompressed) deflate blocks: no
 * zlib, so the same code runs on Node and on Workers.
 */

/** `site`: the service's own icon (`/favicon.ico`, `/assets/icon.png`), drawn like a feed's. */
export type ArtworkKind = "icon" | "header" | "site";

export const ARTWORK_SIZE: Record<ArtworkKind, { width: number; height: number }> = {
  icon: { width: 400, height: 400 },
  header: { width: 1500, height: 500 },
  // The largest size an ICO entry can state; readers and browsers scale it down.
  site: { width: 256, height: 256 },
};

/** FNV-1a, 32 bits: stable colours and patterns per slug. */
export function slugHash(slug: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < slug.length; i++) {
    hash ^= slug.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

/** The slug's colour: any hue, saturated and dark enough for white on top. */
export function slugColour(slug: string): [number, number, number] {
  return hslToRgb(slugHash(slug) % 360, 0.55, 0.38);
}

function hslToRgb(h: number, s: number, l: number): [number, number, number] {
  const c = (1 - Math.abs(2 * l - 1)) * s;
  const x = c * (1 - Math.abs(((h / 60) % 2) - 1));
  const m = l - c / 2;
  const [r, g, b] =
    h < 60
      ? [c, x, 0]
      : h < 120
        ? [x, c, 0]
        : h < 180
          ? [0, c, x]
          : h < 240
            ? [0, x, c]
            : h < 300
              ? [x, 0, c]
              : [c, 0, x];
  return [r, g, b].map((v) => Math.round((v + m) * 255)) as [number, number, number];
}

/** Whether pixel (x, y) is foreground. */
function painter(kind: ArtworkKind, slug: string): (x: number, y: number) => boolean {
  const hash = slugHash(slug);
  const { width, height } = ARTWORK_SIZE[kind];
  if (kind === "header") {
    const period = 60 + (hash % 5) * 20;
    return (x, y) => (x + y) % period < period / 6;
  }
  // 5×5 cells mirrored left to right (15 bits of the hash), inside a margin of half a cell.
  const cell = Math.floor(width / 6);
  const margin = Math.floor((width - cell * 5) / 2);
  return (x, y) => {
    const cx = Math.floor((x - margin) / cell);
    const cy = Math.floor((y - margin) / cell);
    if (x < margin || y < margin || cx > 4 || cy > 4 || y >= height - margin) return false;
    const column = cx < 3 ? cx : 4 - cx;
    return ((hash >>> (cy * 3 + column)) & 1) === 1;
  };
}

/** The artwork as a PNG file. */
export function feedArtworkPng(kind: ArtworkKind, slug: string): Uint8Array<ArrayBuffer> {
  const { width, height } = ARTWORK_SIZE[kind];
  const paint = painter(kind, slug);
  const rowBytes = Math.ceil(width / 8);
  const raw = new Uint8Array((rowBytes + 1) * height);
  for (let y = 0; y < height; y++) {
    const row = y * (rowBytes + 1); // filter byte 0 (none), then the bits
    for (let x = 0; x < width; x++) {
      const at = row + 1 + (x >> 3);
      if (paint(x, y)) raw[at] = (raw[at] ?? 0) | (0x80 >> (x & 7));
    }
  }
  const [r, g, b] = slugColour(slug);
  const header = new Uint8Array(13);
  const view = new DataView(header.buffer);
  view.setUint32(0, width);
  view.setUint32(4, height);
  header.set([1, 3, 0, 0, 0], 8); // bit depth 1, palette, deflate, adaptive filters, no interlace
  return concat([
    new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", header),
    chunk("PLTE", new Uint8Array([r, g, b, 255, 255, 255])),
    chunk("IDAT", zlibStored(raw)),
    chunk("IEND", new Uint8Array(0)),
  ]);
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

/** A zlib stream of stored deflate blocks (at most 65,535 bytes each) and its Adler-32. */
function zlibStored(data: Uint8Array): Uint8Array {
  const blocks = Math.max(1, Math.ceil(data.length / 65535));
  const out = new Uint8Array(2 + data.length + blocks * 5 + 4);
  out[0] = 0x78;
  out[1] = 0x01;
  let at = 2;
  for (let i = 0; i < blocks; i++) {
    const part = data.subarray(i * 65535, Math.min(data.length, (i + 1) * 65535));
    out[at] = i === blocks - 1 ? 1 : 0;
    out[at + 1] = part.length & 0xff;
    out[at + 2] = part.length >> 8;
    out[at + 3] = ~part.length & 0xff;
    out[at + 4] = (~part.length >> 8) & 0xff;
    out.set(part, at + 5);
    at += 5 + part.length;
  }
  new DataView(out.buffer).setUint32(at, adler32(data));
  return out;
}

function adler32(data: Uint8Array): number {
  let a = 1;
  let b = 0;
  for (let i = 0; i < data.length; i++) {
    a = (a + (data[i] ?? 0)) % 65521;
    b = (b + a) % 65521;
  }
  return ((b << 16) | a) >>> 0;
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

export function crc32(data: Uint8Array): number {
  let crc = 0xffffffff;
  for (let i = 0; i < data.length; i++) {
    crc = (CRC_TABLE[(crc ^ (data[i] ?? 0)) & 0xff] ?? 0) ^ (crc >>> 8);
  }
  return (crc ^ 0xffffffff) >>> 0;
}

/**
 * An ICO file holding one PNG image (allowed since Windows Vista, read by every browser): what
 * `/favicon.ico` serves. The PNG must be at most 256 pixels a side.
 */
export function icoOfPng(png: Uint8Array, width: number, height: number): Uint8Array<ArrayBuffer> {
  const header = new Uint8Array(6 + 16);
  const view = new DataView(header.buffer);
  view.setUint16(2, 1, true); // type: icon
  view.setUint16(4, 1, true); // one image
  header[6] = width >= 256 ? 0 : width; // 0 means 256
  header[7] = height >= 256 ? 0 : height;
  view.setUint16(10, 1, true); // colour planes
  view.setUint16(12, 32, true); // bits per pixel (the PNG says its own)
  view.setUint32(14, png.length, true);
  view.setUint32(18, header.length, true); // where the PNG starts
  return concat([header, png]);
}

function concat(parts: Uint8Array[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
