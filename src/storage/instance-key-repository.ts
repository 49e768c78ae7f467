import type { Kysely } from "kysely";
import type { FeedKeyRepository, StoredKeyPair } from "./feed-key-repository.ts";
import type { Database } from "./schema.ts";

/**
 * The instance actor's signing keys, shaped like a feed's key repository so the same key store
 * (generate once, keep, cache) serves both; the slug it is asked for is ignored.
 */
export function createInstanceKeyRepository(db: Kysely<Database>): FeedKeyRepository {
  return {
    async find(): Promise<StoredKeyPair[]> {
      return db
        .selectFrom("instanceKeys")
        .select(["algorithm", "publicJwk", "privateJwk"])
        .orderBy("algorithm", "desc")
        .execute();
    },

    async insertIfAbsent(_slug: string, pairs: readonly StoredKeyPair[], at: Date) {
      await db
        .insertInto("instanceKeys")
        .values(
          pairs.map((pair) => ({
            algorithm: pair.algorithm,
            publicJwk: JSON.stringify(pair.publicJwk),
            privateJwk: JSON.stringify(pair.privateJwk),
            createdAt: at,
          })),
        )
        .onConflict((oc) => oc.column("algorithm").doNothing())
        .execute();
    },

    /** The instance actor is never renamed. */
    async findAliasKeys() {
      return undefined;
    },
  };
}
