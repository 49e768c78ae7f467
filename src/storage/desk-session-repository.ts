import type { Kysely } from "kysely";
import type { TokenScope } from "../domain/admin-token.ts";
import type { Database } from "./schema.ts";

export interface NewDeskSession {
  readonly idHash: string;
  readonly tokenId: string | null;
  readonly tokenHash: string;
  readonly tokenName: string;
  readonly createdAt: Date;
  readonly expiresAt: Date;
}

/** A session that has not expired, with the scope of its token if that token is still live. */
export interface OpenDeskSession {
  readonly tokenId: string | null;
  readonly tokenHash: string;
  readonly tokenName: string;
  readonly expiresAt: Date;
  /** The stored token's scope while it is live; null when revoked (or for ADMIN_TOKEN). */
  readonly storedScope: TokenScope | null;
}

/** The desk's sign-in sessions, by the SHA-256 of their id (migrations/0020). */
export function createDeskSessionRepository(db: Kysely<Database>) {
  return {
    /** Opens a session; sweeps expired ones too, so the table holds only live ones. */
    async open(session: NewDeskSession): Promise<void> {
      await db.insertInto("deskSessions").values(session).execute();
      await db.deleteFrom("deskSessions").where("expiresAt", "<=", session.createdAt).execute();
    },

    async find(idHash: string, now: Date): Promise<OpenDeskSession | undefined> {
      const row = await db
        .selectFrom("deskSessions as s")
        .leftJoin("adminTokens as t", (join) =>
          join.onRef("t.id", "=", "s.tokenId").on("t.revokedAt", "is", null),
        )
        .select(["s.tokenId", "s.tokenHash", "s.tokenName", "s.expiresAt", "t.scope"])
        .where("s.idHash", "=", idHash)
        .where("s.expiresAt", ">", now)
        .executeTakeFirst();
      if (!row) return undefined;
      return {
        tokenId: row.tokenId,
        tokenHash: row.tokenHash,
        tokenName: row.tokenName,
        expiresAt: new Date(row.expiresAt),
        storedScope: row.scope ?? null,
      };
    },

    /** Signs out (and sweeps expired sessions). */
    async close(idHash: string, now: Date): Promise<void> {
      await db
        .deleteFrom("deskSessions")
        .where((eb) => eb.or([eb("idHash", "=", idHash), eb("expiresAt", "<=", now)]))
        .execute();
    },
  };
}

export type DeskSessionRepository = ReturnType<typeof createDeskSessionRepository>;
