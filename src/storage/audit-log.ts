import type { Kysely } from "kysely";
import type { Database } from "./schema.ts";

/** One admin write: who (the token's name), what, to what, when, and how it was answered. */
export interface AuditEntry {
  readonly at: Date;
  readonly tokenName: string;
  /** `METHOD /admin/route/:param`, e.g. `POST /admin/articles`. */
  readonly action: string;
  /** The resource written: its path (a created one's Location). */
  readonly target: string;
  readonly status: number;
}

/** Appends to the audit log of admin writes (read with views/audit-log.view.ts). */
export function createAuditLog(db: Kysely<Database>) {
  return {
    async record(entry: AuditEntry): Promise<void> {
      await db.insertInto("adminAudit").values(entry).execute();
    },
  };
}

export type AuditLog = ReturnType<typeof createAuditLog>;
