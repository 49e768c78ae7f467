import { createHmac } from "node:crypto";
import type { EncodedDocument } from "./encoded-document.ts";

/** What one content POST came to: the status answered, or why there was none. */
export type FatPingResult = `${number}` | "timeout" | "unreachable";

/**
 * Sends the POSTs: resolves with the answer's status (its body dropped), rejects when there is
 * none, with an error named "TimeoutError" past the timeout. Under Node a KeepAlivePoster
 * (federation/keep-alive-poster.ts); elsewhere `fetchPoster`.
 */
export interface CallbackPoster {
  post(url: URL, headers: Record<string, string>, body: Uint8Array<ArrayBuffer>): Promise<number>;
  /** Closes idle connections (the process stops delivering). */
  close?(): void;
}

/** POSTs with `fetch`, redirects not followed (the callback was verified, a target was not). */
export function fetchPoster(fetcher: typeof fetch, timeoutMs: number): CallbackPoster {
  return {
    async post(url, headers, body) {
      const response = await fetcher(url, {
        method: "POST",
        headers,
        body,
        redirect: "manual",
        signal: AbortSignal.timeout(timeoutMs),
      });
      await response.body?.cancel().catch(() => undefined);
      return response.status;
    },
  };
}

/**
 * One fat ping (WebSub §7): the whole document with its type and `Link` header, and
 * `X-Hub-Signature: sha256=HMAC(secret, body)` when the subscriber gave a secret. Never rejects.
 */
export async function sendFatPing(
  poster: CallbackPoster,
  ping: {
    readonly callback: string;
    readonly secret: string | null;
    readonly document: EncodedDocument;
    readonly link: string;
  },
): Promise<FatPingResult> {
  const { document } = ping;
  const headers: Record<string, string> = {
    "content-type": document.contentType,
    "content-length": String(document.identity.byteLength),
    link: ping.link,
  };
  if (ping.secret) {
    const hmac = createHmac("sha256", ping.secret).update(document.identity);
    headers["x-hub-signature"] = `sha256=${hmac.digest("hex")}`;
  }
  try {
    return `${await poster.post(new URL(ping.callback), headers, document.identity)}`;
  } catch (error) {
    return error instanceof Error && error.name === "TimeoutError" ? "timeout" : "unreachable";
  }
}
