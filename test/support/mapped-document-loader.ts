import type { DocumentLoader } from "@fedify/fedify";
// Fedify's own default loader (Fedify depends on this package at its own version).
import { getDocumentLoader } from "@fedify/vocab-runtime";

/**
 * A document loader for tests that serves made-up public origins (`https://peer.example`) from
 * the loopback peers behind them, and leaves every other URL to Fedify's own loader with private
 * addresses refused, as in production. What is fetched is all it changes: where we post is still
 * decided by the address guard, which sees the addresses the documents name.
 */
export function mappedDocumentLoader(origins: ReadonlyMap<string, string>): DocumentLoader {
  const fallback = getDocumentLoader({ allowPrivateAddress: false });
  return async (url, options) => {
    const requested = new URL(url);
    requested.hash = "";
    const target = origins.get(requested.origin);
    if (target === undefined) return fallback(url, options);
    const response = await fetch(new URL(requested.pathname + requested.search, target), {
      headers: { accept: "application/activity+json" },
      ...(options?.signal ? { signal: options.signal } : {}),
    });
    if (!response.ok) throw new Error(`${requested.href}: ${response.status} from ${target}`);
    return { contextUrl: null, documentUrl: requested.href, document: await response.json() };
  };
}
