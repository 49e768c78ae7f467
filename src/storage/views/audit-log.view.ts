import { decodeKeyset } from "../../domain/cursor.ts";
import type { AuditEntry } from "../audit-log.ts";
import type { Db } from "../database.ts";
import { type KeysetPageResult, keysetPage } from "../keyset-page.ts";

export interface AuditListing extends AuditEntry {
  readonly id: string;
}

export type AuditPageResult = KeysetPageResult<AuditListing>;

/** `GET /admin/audit`: admin writes, newest first, keyset paged by (time, id). */
export function createAuditLogView(db: Db) {
  return {
    async page(limit: number, cursor: string | undefined): Promise<AuditPageResult> {
      const after = cursor === undefined ? null : decodeKeyset(cursor, (key) => /^\d+$/.test(key));
      if (after === undefined) return { ok: false, error: "invalid-cursor" };
      let query = db
        .selectFrom("adminAudit")
        .select(["id", "at", "tokenName", "action", "target", "status"]);
      if (after !== null) {
        query = query.where((eb) =>
          eb.or([
            eb("at", "<", after.at),
            eb.and([eb("at", "=", after.at), eb("id", "<", after.key)]),
          ]),
        );
      }
      const rows = await query
        .orderBy("at", "desc")
        .orderBy("id", "desc")
        .limit(limit + 1)
        .execute();
      const items = rows.map((row) => ({ ...row, id: String(row.id), at: new Date(row.at) }));
      return keysetPage(items, limit, (entry) => ({ at: entry.at, key: entry.id }));
    },
  };
}

export type AuditLogView = ReturnType<typeof createAuditLogView>;
