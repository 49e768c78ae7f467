import type { Kysely } from "kysely";
import { cleanText, plainTextFromHtml, sanitizeReplyHtml } from "../content/sanitize-html.ts";
import { decodeKeyset } from "../domain/cursor.ts";
import { uuidv7 } from "../domain/ids.ts";
import { type KeysetPageResult, keysetPage } from "./keyset-page.ts";
import type { Database } from "./schema.ts";

/** A `Flag` another server sent us: who reported what, and why. */
export interface Report {
  readonly id: string;
  readonly activityId: string;
  readonly reporterId: string;
  /** What is reported: our articles' objects, accounts, the reporter's copies of posts. */
  readonly objectIds: readonly string[];
  readonly comment: string;
  readonly receivedAt: Date;
  readonly resolvedAt: Date | null;
  readonly resolvedBy: string | null;
  readonly resolutionNote: string | null;
}

const COLUMNS = [
  "id",
  "activityId",
  "reporterId",
  "objectIds",
  "comment",
  "receivedAt",
  "resolvedAt",
  "resolvedBy",
  "resolutionNote",
] as const;
/** A report's comment is kept as plain text, this long at most (Mastodon allows 1,000). */
export const REPORT_COMMENT_MAX = 5_000;
/** Objects kept per report; Mastodon sends the account and a few posts. */
export const REPORT_MAX_OBJECTS = 50;

const toReport = (row: Report): Report => ({
  ...row,
  receivedAt: new Date(row.receivedAt),
  resolvedAt: row.resolvedAt === null ? null : new Date(row.resolvedAt),
});

export type ReportStatus = "open" | "resolved" | "all";

/** Reports received (`Flag`), and their resolution by an editor. */
export function createReportRepository(db: Kysely<Database>) {
  return {
    /** Idempotent by activity id: a repeated Flag is one report. */
    async add(
      report: {
        activityId: string;
        reporterId: string;
        objectIds: readonly string[];
        comment: string;
      },
      at: Date,
    ): Promise<void> {
      const comment = cleanText(
        plainTextFromHtml(sanitizeReplyHtml(report.comment, report.reporterId)),
      )
        .trim()
        .slice(0, REPORT_COMMENT_MAX);
      await db
        .insertInto("reports")
        .values({
          id: uuidv7(at),
          activityId: report.activityId,
          reporterId: report.reporterId,
          objectIds: JSON.stringify(report.objectIds.slice(0, REPORT_MAX_OBJECTS)),
          comment,
          receivedAt: at,
        })
        .onConflict((oc) => oc.column("activityId").doNothing())
        .execute();
    },

    async resolve(
      id: string,
      resolution: { resolved: boolean; by: string; note: string | null },
      at: Date,
    ): Promise<Report | undefined> {
      const row = await db
        .updateTable("reports")
        .set(
          resolution.resolved
            ? { resolvedAt: at, resolvedBy: resolution.by, resolutionNote: resolution.note }
            : { resolvedAt: null, resolvedBy: null, resolutionNote: resolution.note },
        )
        .where("id", "=", id)
        .returning(COLUMNS)
        .executeTakeFirst();
      return row && toReport(row);
    },

    /** Newest first. */
    async page(
      status: ReportStatus,
      limit: number,
      cursor: string | undefined,
    ): Promise<KeysetPageResult<Report>> {
      const after = cursor === undefined ? null : decodeKeyset(cursor);
      if (after === undefined) return { ok: false, error: "invalid-cursor" };
      let query = db.selectFrom("reports").select(COLUMNS);
      if (status === "open") query = query.where("resolvedAt", "is", null);
      if (status === "resolved") query = query.where("resolvedAt", "is not", null);
      if (after !== null) {
        query = query.where((eb) =>
          eb.or([
            eb("receivedAt", "<", after.at),
            eb.and([eb("receivedAt", "=", after.at), eb("id", "<", after.key)]),
          ]),
        );
      }
      const rows = await query
        .orderBy("receivedAt", "desc")
        .orderBy("id", "desc")
        .limit(limit + 1)
        .execute();
      return keysetPage(rows.map(toReport), limit, (r) => ({ at: r.receivedAt, key: r.id }));
    },
  };
}

export type ReportRepository = ReturnType<typeof createReportRepository>;
