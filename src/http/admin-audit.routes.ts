import { Hono } from "hono";
import { auditQuery } from "../schemas/admin-token.schema.ts";
import type { AuditLogView } from "../storage/views/audit-log.view.ts";
import { type AdminEnv, requireScope } from "./admin-auth.ts";
import { ProblemError, validationProblem } from "./problem.ts";
import { readQuery } from "./request.ts";

/** `GET /admin/audit`: every admin write, newest first. */
export function adminAuditRoutes(auditLog: AuditLogView) {
  const routes = new Hono<AdminEnv>();
  routes.get("/", requireScope("admin"), async (c) => {
    const query = readQuery(c, auditQuery);
    const result = await auditLog.page(query.limit, query.cursor);
    if (!result.ok) throw invalidCursor();
    return c.json({
      items: result.value.items.map((entry) => ({ ...entry, at: entry.at.toISOString() })),
      nextCursor: result.value.nextCursor,
    });
  });
  return routes;
}

export function invalidCursor(): ProblemError {
  return new ProblemError(
    validationProblem([
      { pointer: "/query/cursor", detail: "is not a cursor this API handed out" },
    ]),
  );
}
