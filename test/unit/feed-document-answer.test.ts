import { gunzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { answerDocument } from "../../src/syndication/document-answer.ts";
import { encodeDocument } from "../../src/syndication/encoded-document.ts";

const TEXT = `<?xml version="1.0" encoding="utf-8"?><rss version="2.0">${"<item/>".repeat(200)}</rss>`;
const UPDATED = new Date("2026-11-26T10:00:00.500Z");
const headers =
  (values: Record<string, string>) =>
  (name: string): string | null =>
    values[name] ?? null;

describe("answerDocument", () => {
  it("serves the precompressed copy the client accepts, with the same ETag for every coding", async () => {
    const document = await encodeDocument(TEXT, "application/rss+xml; charset=utf-8", UPDATED);
    const gzip = answerDocument("GET", headers({ "accept-encoding": "gzip" }), document);
    const plain = answerDocument("GET", headers({}), document);
    expect(gzip.headers["content-encoding"]).toBe("gzip");
    expect(gunzipSync(gzip.body ?? new Uint8Array()).toString()).toBe(TEXT);
    expect(plain.headers["content-encoding"]).toBeUndefined();
    expect(new TextDecoder().decode(plain.body ?? new Uint8Array())).toBe(TEXT);
    expect(gzip.headers.etag).toBe(plain.headers.etag);
    expect(plain.headers["last-modified"]).toBe("Thu, 26 Nov 2026 10:00:00 GMT");
  });

  it("serves the plain bytes when nothing was precompressed (the Worker's edge compresses)", async () => {
    const document = await encodeDocument(TEXT, "application/rss+xml; charset=utf-8", UPDATED, {
      precompress: false,
    });
    expect(document.gzip).toBeNull();
    expect(document.brotli).toBeNull();
    const answer = answerDocument("GET", headers({ "accept-encoding": "br, gzip" }), document);
    expect(answer.status).toBe(200);
    expect(answer.headers["content-encoding"]).toBeUndefined();
    expect(answer.headers["content-length"]).toBe(String(new TextEncoder().encode(TEXT).length));
    expect(new TextDecoder().decode(answer.body ?? new Uint8Array())).toBe(TEXT);
  });

  it("builds each kind of answer's headers once per document, and shares them read-only", async () => {
    const document = await encodeDocument(TEXT, "application/rss+xml; charset=utf-8", UPDATED, {
      link: '<https://news.example/websub>; rel="hub"',
    });
    const gzip = { "accept-encoding": "gzip" };
    const first = answerDocument("GET", headers(gzip), document);
    const again = answerDocument("GET", headers(gzip), document);
    const head = answerDocument("HEAD", headers(gzip), document);
    expect(again.headers).toBe(first.headers);
    expect(head.headers).toBe(first.headers);
    expect(head.body).toBeNull();
    expect(Object.isFrozen(first.headers)).toBe(true);
    expect(first.headers.link).toBe('<https://news.example/websub>; rel="hub"');
    expect(first.headers["content-length"]).toBe(String(document.gzip?.byteLength));

    const browser = answerDocument("GET", headers({ ...gzip, accept: "text/html" }), document);
    expect(browser.headers).not.toBe(first.headers);
    expect(browser.headers["content-type"]).toBe("application/xml; charset=utf-8");
    expect(first.headers["content-type"]).toBe("application/rss+xml; charset=utf-8");

    const notModified = answerDocument(
      "GET",
      headers({ ...gzip, "if-none-match": document.etag }),
      document,
    );
    expect(notModified.status).toBe(304);
    expect(notModified.headers["content-length"]).toBeUndefined();
    expect(notModified.headers["content-encoding"]).toBeUndefined();
    expect(notModified.headers.etag).toBe(document.etag);

    const other = await encodeDocument(`${TEXT} `, "application/rss+xml; charset=utf-8", UPDATED);
    const otherAnswer = answerDocument("GET", headers(gzip), other);
    expect(otherAnswer.headers.etag).not.toBe(first.headers.etag);
    expect(otherAnswer.headers["content-length"]).toBe(String(other.gzip?.byteLength));
  });
});
