import { createHmac } from "node:crypto";
import type { EncodedDocument } from "./encoded-document.ts";

/** What one content POST came to: the status answered, or why there was none. */
export type FatPingResult = `${number}` | "timeout" | "unreachable";

/**
 * One fat ping (WebSub §7): the whole document with its type and `Link` header, and
 * `X-Hub-Signature: sha256=HMAC(secret, body)` when the subscriber gave a secret. Redirects are
 * not followed (the callback was verified, a redirect target was not); the answer's body is
 * never read. Never rejects.
 */
export async function sendFatPing(
  fetcher: typeof fetch,
  ping: {
    readonly callback: string;
    readonly secret: string | null;
    readonly document: EncodedDocument;
    readonly link: string;
    readonly timeoutMs: number;
  },
): Promise<FatPingResult> {
  const { document } = ping;
  const headers: Record<string, string> = {
    "content-type": document.contentType,
    link: ping.link,
  };
  if (ping.secret) {
    const hmac = createHmac("sha256", ping.secret).update(document.identity);
    headers["x-hub-signature"] = `sha256=${hmac.digest("hex")}`;
  }
  try {
    const response = await fetcher(ping.callback, {
      method: "POST",
      headers,
      body: document.identity,
      redirect: "manual",
      signal: AbortSignal.timeout(ping.timeoutMs),
    });
    await response.body?.cancel().catch(() => undefined);
    return `${response.status}`;
  } catch (error) {
    return error instanceof Error && error.name === "TimeoutError" ? "timeout" : "unreachable";
  }
}
