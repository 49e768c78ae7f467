import type { Kysely } from "kysely";
import type { TokenScope } from "../domain/admin-token.ts";
import type { Database } from "./schema.ts";

export interface StoredToken {
  readonly id: string;
  readonly name: string;
  readonly scope: TokenScope;
  readonly createdAt: Date;
  readonly revokedAt: Date | null;
}

export interface LiveToken extends StoredToken {
  readonly tokenHash: string;
}

const COLUMNS = ["id", "name", "scope", "createdAt", "revokedAt"] as const;

const toToken = (row: StoredToken): StoredToken => ({
  ...row,
  createdAt: new Date(row.createdAt),
  revokedAt: row.revokedAt === null ? null : new Date(row.revokedAt),
});

/** Admin tokens, by the SHA-256 of their secret (src/domain/admin-token.ts). */
export function createAdminTokenRepository(db: Kysely<Database>) {
  return {
    /** False when a live token already has this name (nothing written). */
    async insert(token: Omit<LiveToken, "revokedAt">): Promise<boolean> {
      const result = await db
        .insertInto("adminTokens")
        .values({ ...token, revokedAt: null })
        .onConflict((oc) => oc.column("name").where("revokedAt", "is", null).doNothing())
        .executeTakeFirst();
      return Number(result.numInsertedOrUpdatedRows ?? 0n) > 0;
    },

    async findLiveByHash(tokenHash: string): Promise<LiveToken | undefined> {
      const row = await db
        .selectFrom("adminTokens")
        .select([...COLUMNS, "tokenHash"])
        .where("tokenHash", "=", tokenHash)
        .where("revokedAt", "is", null)
        .executeTakeFirst();
      return row && { ...toToken(row), tokenHash: row.tokenHash };
    },

    /** Every token, live ones first, newest first. */
    async list(): Promise<StoredToken[]> {
      const rows = await db
        .selectFrom("adminTokens")
        .select(COLUMNS)
        .orderBy((eb) => eb("revokedAt", "is", null), "desc")
        .orderBy("createdAt", "desc")
        .execute();
      return rows.map(toToken);
    },

    /** Revokes the live token with this id or name; undefined when there is none. */
    async revoke(idOrName: string, at: Date): Promise<StoredToken | undefined> {
      const byId = /^[0-9a-f-]{36}$/i.test(idOrName);
      const row = await db
        .updateTable("adminTokens")
        .set({ revokedAt: at })
        .where(byId ? "id" : "name", "=", idOrName)
        .where("revokedAt", "is", null)
        .returning(COLUMNS)
        .executeTakeFirst();
      return row && toToken(row);
    },
  };
}

export type AdminTokenRepository = ReturnType<typeof createAdminTokenRepository>;
