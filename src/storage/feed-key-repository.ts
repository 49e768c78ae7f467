import type { Kysely } from "kysely";
import type { Database } from "./schema.ts";

export type KeyAlgorithm = "rsa" | "ed25519";

export interface StoredKeyPair {
  readonly algorithm: KeyAlgorithm;
  readonly publicJwk: JsonWebKey;
  readonly privateJwk: JsonWebKey;
}

/** Each feed's signing keys, as JWK. */
export function createFeedKeyRepository(db: Kysely<Database>) {
  return {
    async find(feedSlug: string): Promise<StoredKeyPair[]> {
      return db
        .selectFrom("feedKeys")
        .select(["algorithm", "publicJwk", "privateJwk"])
        .where("feedSlug", "=", feedSlug)
        .orderBy("algorithm", "desc") // "rsa" first: Mastodon verifies with the first key
        .execute();
    },

    /**
     * The keys an old slug's actor signs with (migrations/0018), and the feed it became; undefined
     * when `slug` is no feed's old slug.
     */
    async findAliasKeys(
      slug: string,
    ): Promise<{ feedSlug: string; pairs: StoredKeyPair[] } | undefined> {
      const row = await db
        .selectFrom("feedAliases")
        .select(["feedSlug", "keyPairs"])
        .where("slug", "=", slug)
        .executeTakeFirst();
      return row ? { feedSlug: row.feedSlug, pairs: row.keyPairs } : undefined;
    },

    /** Stores keys unless the feed already has keys of that algorithm (another process won). */
    async insertIfAbsent(feedSlug: string, pairs: readonly StoredKeyPair[], at: Date) {
      await db
        .insertInto("feedKeys")
        .values(
          pairs.map((pair) => ({
            feedSlug,
            algorithm: pair.algorithm,
            publicJwk: JSON.stringify(pair.publicJwk),
            privateJwk: JSON.stringify(pair.privateJwk),
            createdAt: at,
          })),
        )
        .onConflict((oc) => oc.columns(["feedSlug", "algorithm"]).doNothing())
        .execute();
    },
  };
}

export type FeedKeyRepository = ReturnType<typeof createFeedKeyRepository>;
