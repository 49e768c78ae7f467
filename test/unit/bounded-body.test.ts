import { describe, expect, it } from "vitest";
import { RequestAbortedError, readBoundedBytes } from "../../src/http/bounded-body.ts";
import { ProblemError } from "../../src/http/problem.ts";

/** A POST whose body stream yields `chunks` and then ends, declaring `contentLength`. */
function post(chunks: readonly string[], contentLength?: number): Request {
  const encoder = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
      controller.close();
    },
  });
  const headers = contentLength === undefined ? {} : { "content-length": String(contentLength) };
  return new Request("http://tidings.test/admin/articles", {
    method: "POST",
    body,
    headers,
    duplex: "half",
  } as RequestInit);
}

describe("readBoundedBytes", () => {
  it("returns the whole body, in one piece, when it is all there", async () => {
    const bytes = await readBoundedBytes(post(['{"a":', "1}"], 7), 100);
    expect(new TextDecoder().decode(bytes)).toBe('{"a":1}');
  });

  it("reads a body without Content-Length (chunked) to its end", async () => {
    const bytes = await readBoundedBytes(post(["abc", "def"]), 100);
    expect(bytes.byteLength).toBe(6);
  });

  it("refuses a body that ends short of its Content-Length: the client left, nothing is parsed", async () => {
    const reading = readBoundedBytes(post(['{"a":'], 100_000), 1_000_000);
    await expect(reading).rejects.toBeInstanceOf(RequestAbortedError);
    await expect(reading).rejects.toThrow(/closed the connection/);
  });

  it("refuses a declared or streamed body over the limit with 413", async () => {
    const declared = readBoundedBytes(post(["x"], 2_000), 1_000);
    await expect(declared).rejects.toBeInstanceOf(ProblemError);
    const streamed = readBoundedBytes(post(["x".repeat(600), "y".repeat(600)]), 1_000);
    await expect(streamed).rejects.toMatchObject({ problem: { status: 413 } });
  });
});
