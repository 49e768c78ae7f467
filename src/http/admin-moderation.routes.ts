import { Hono } from "hono";
import { isUuid } from "../domain/cursor.ts";
import type { Clock } from "../domain/ports.ts";
import { replyPatch, reportListQuery, reportPatch } from "../schemas/moderation.schema.ts";
import type { ModerationStore } from "../storage/moderation-store.ts";
import type { Report } from "../storage/report-repository.ts";
import { invalidCursor } from "./admin-audit.routes.ts";
import { type AdminEnv, requireScope } from "./admin-auth.ts";
import { serializeBlock } from "./admin-blocks.routes.ts";
import { problem, problemResponse } from "./problem.ts";
import { readJsonBody, readQuery } from "./request.ts";

export interface AdminModerationDeps {
  readonly moderation: ModerationStore;
  readonly clock: Clock;
  readonly maxBodyBytes: number;
  readonly onBlocksChanged: () => void;
  /** A reply was hidden or shown again: its article's page changed. */
  readonly onReplyModerated: (articleId: string) => void;
}

const reportJson = (report: Report) => ({
  ...report,
  receivedAt: report.receivedAt.toISOString(),
  resolvedAt: report.resolvedAt?.toISOString() ?? null,
  status: report.resolvedAt ? "resolved" : "open",
});

/** `/admin/reports` (Flags received) and `/admin/replies/{id}` (hide a reply, block its author). */
export function adminModerationRoutes(deps: AdminModerationDeps) {
  const { moderation, clock, maxBodyBytes } = deps;
  const routes = new Hono<AdminEnv>();

  routes.get("/reports", requireScope("admin"), async (c) => {
    const query = readQuery(c, reportListQuery);
    const result = await moderation.reports.page(query.status, query.limit, query.cursor);
    if (!result.ok) throw invalidCursor();
    return c.json({
      items: result.value.items.map(reportJson),
      nextCursor: result.value.nextCursor,
    });
  });

  routes.patch("/reports/:id", requireScope("admin"), async (c) => {
    const id = c.req.param("id");
    const patch = await readJsonBody(c, reportPatch, maxBodyBytes);
    const report = isUuid(id)
      ? await moderation.reports.resolve(
          id,
          {
            resolved: patch.status === "resolved",
            by: c.get("principal").name,
            note: patch.note || null,
          },
          clock.now(),
        )
      : undefined;
    if (!report) return problemResponse(problem("notFound", `No report with id ${id}`));
    return c.json(reportJson(report));
  });

  // The id is the reply's ActivityPub id, a URL: send it percent-encoded.
  routes.patch("/replies/:id", requireScope("admin"), async (c) => {
    const id = c.req.param("id");
    const patch = await readJsonBody(c, replyPatch, maxBodyBytes);
    const result = await moderation.hideReply(
      id,
      { hidden: patch.hidden, blockAuthor: patch.blockAuthor, comment: patch.comment || null },
      clock.now(),
    );
    if (!result) return problemResponse(problem("notFound", `No reply with id ${id}`));
    if (result.block) deps.onBlocksChanged();
    deps.onReplyModerated(result.reply.articleId);
    return c.json({
      ...result.reply,
      hiddenAt: result.reply.hiddenAt?.toISOString() ?? null,
      block: result.block && {
        ...serializeBlock(result.block.block),
        effects: result.block.effects,
      },
    });
  });

  return routes;
}
