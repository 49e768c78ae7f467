import type { FeedKeyRepository, StoredKeyPair } from "../storage/feed-key-repository.ts";

const RSA = { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" } as const;
const ED25519 = { name: "Ed25519" } as const;

/**
 * Each feed signs with two key pairs, generated once and kept in the database: RSA-2048 for
 * HTTP Signatures (what Mastodon uses and verifies; Fedify's generator would make the much
 * slower RSA-4096) and Ed25519 for Object Integrity Proofs. A restart never rotates them.
 * Pairs are cached per process; concurrent first uses across processes agree on the stored
 * pair because inserts never overwrite.
 */
export class FeedKeyStore {
  readonly #repo: FeedKeyRepository;
  readonly #cache = new Map<string, Promise<CryptoKeyPair[]>>();

  constructor(repo: FeedKeyRepository) {
    this.#repo = repo;
  }

  /** [RSA, Ed25519] for the feed, creating them on first use. */
  keyPairs(feedSlug: string): Promise<CryptoKeyPair[]> {
    let pairs = this.#cache.get(feedSlug);
    if (!pairs) {
      pairs = this.#load(feedSlug);
      this.#cache.set(feedSlug, pairs);
      pairs.catch(() => this.#cache.delete(feedSlug));
    }
    return pairs;
  }

  /**
   * The key pairs of a feed's old slug (its actor signs the Move with them), or [] when `slug`
   * is no feed's old slug. A feed renamed before it ever signed anything had no keys to keep:
   * its old actor then signs with the feed's.
   */
  async aliasKeyPairs(slug: string): Promise<CryptoKeyPair[]> {
    // Not cached: only the old actor's document and its Move need them, and a slug may become
    // a feed's alias (or stop being one) at any time.
    const alias = await this.#repo.findAliasKeys(slug);
    if (!alias) return [];
    if (alias.pairs.length < 2) return this.keyPairs(alias.feedSlug);
    return Promise.all(alias.pairs.map(importPair));
  }

  async #load(feedSlug: string): Promise<CryptoKeyPair[]> {
    let stored = await this.#repo.find(feedSlug);
    if (stored.length < 2) {
      await this.#repo.insertIfAbsent(feedSlug, await generateKeyPairs(), new Date());
      stored = await this.#repo.find(feedSlug);
    }
    return Promise.all(stored.map(importPair));
  }
}

async function generateKeyPairs(): Promise<StoredKeyPair[]> {
  const rsa = (await crypto.subtle.generateKey(
    { ...RSA, modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]) },
    true,
    ["sign", "verify"],
  )) as CryptoKeyPair;
  const ed25519 = (await crypto.subtle.generateKey(ED25519, true, [
    "sign",
    "verify",
  ])) as CryptoKeyPair;
  return Promise.all(
    [
      ["rsa", rsa],
      ["ed25519", ed25519],
    ].map(async ([algorithm, pair]) => ({
      algorithm: algorithm as StoredKeyPair["algorithm"],
      publicJwk: await crypto.subtle.exportKey("jwk", (pair as CryptoKeyPair).publicKey),
      privateJwk: await crypto.subtle.exportKey("jwk", (pair as CryptoKeyPair).privateKey),
    })),
  );
}

async function importPair(stored: StoredKeyPair): Promise<CryptoKeyPair> {
  const algorithm = stored.algorithm === "rsa" ? RSA : ED25519;
  const [publicKey, privateKey] = await Promise.all([
    crypto.subtle.importKey("jwk", stored.publicJwk, algorithm, true, ["verify"]),
    crypto.subtle.importKey("jwk", stored.privateJwk, algorithm, true, ["sign"]),
  ]);
  return { publicKey, privateKey };
}
