import type { KeyCache, KvKey, KvStore } from "@fedify/fedify";
import { CryptographicKey, type DocumentLoader, Multikey } from "@fedify/vocab";
import { Temporal } from "@js-temporal/polyfill";
import { FEDIFY_KV_PREFIXES, fedifyKey } from "./fedify-internals.ts";

/** How long a key that could not be fetched is remembered as missing (Fedify's own default). */
const UNAVAILABLE_KEY_TTL = Temporal.Duration.from({ minutes: 10 });

/**
 * Remote public keys cached in Fedify's key–value store, in the layout of Fedify's own
 * (internal) KvKeyCache: the inbox gate verifies a signature before Fedify does, and both
 * read and write the same entries, so a key is fetched once however many check it.
 */
export function kvKeyCache(
  kv: KvStore,
  loaders: { documentLoader: DocumentLoader; contextLoader: DocumentLoader },
): KeyCache {
  const entry = (keyId: URL): KvKey => fedifyKey(FEDIFY_KV_PREFIXES.publicKey, keyId.href);
  return {
    async get(keyId) {
      const serialized = await kv.get(entry(keyId));
      if (serialized === undefined) return undefined;
      if (serialized === null) return null;
      try {
        return await CryptographicKey.fromJsonLd(serialized, loaders);
      } catch {
        try {
          return await Multikey.fromJsonLd(serialized, loaders);
        } catch {
          // Not a key we can read: forget it, so the next check fetches it afresh.
          await kv.delete(entry(keyId));
          return undefined;
        }
      }
    },
    async set(keyId, key) {
      if (key === null) {
        await kv.set(entry(keyId), null, { ttl: UNAVAILABLE_KEY_TTL });
        return;
      }
      await kv.set(entry(keyId), await key.toJsonLd(loaders));
    },
  };
}
