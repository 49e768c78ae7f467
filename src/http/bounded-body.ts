import { ProblemError, problem } from "./problem.ts";

/**
 * Reads a request body of at most `maxBytes`, or throws a 413 ProblemError. A declared
 * Content-Length over the limit is refused before a byte is read; otherwise the body is
 * streamed and the read stops (the stream cancelled) at the first chunk past the limit, so an
 * oversized body is never held in memory.
 */
export async function readBoundedBytes(request: Request, maxBytes: number): Promise<Uint8Array> {
  const declared = Number(request.headers.get("content-length") ?? Number.NaN);
  if (declared > maxBytes) throw tooLarge(maxBytes);
  if (!request.body) return new Uint8Array(0);
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    let chunk: ReadableStreamReadResult<Uint8Array>;
    try {
      chunk = await reader.read();
    } catch (error) {
      throw new RequestAbortedError(error);
    }
    const { done, value } = chunk;
    if (done) {
      // A stream that ends short of its Content-Length was cut off (the client left before
      // the route began reading): never parse what would be a truncated body.
      if (total < declared || request.signal.aborted) {
        throw new RequestAbortedError(new Error(`body ended after ${total} of ${declared} bytes`));
      }
      break;
    }
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => {});
      throw tooLarge(maxBytes);
    }
    chunks.push(value);
  }
  if (chunks.length === 1 && chunks[0]) return chunks[0];
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}

function tooLarge(maxBytes: number): ProblemError {
  return new ProblemError(
    problem("payloadTooLarge", `The body must be at most ${maxBytes} bytes`, { maxBytes }),
  );
}

/**
 * The client closed the connection before its body arrived (a cancelled upload, a timeout on
 * its side). Nothing was written and nobody waits for the answer: worth a line, not a stack.
 */
export class RequestAbortedError extends Error {
  constructor(cause: unknown) {
    super("the client closed the connection before sending the whole body", { cause });
    this.name = "RequestAbortedError";
  }
}
