import { Hono } from "hono";
import { isUuid } from "../domain/cursor.ts";
import { articleDeliveriesQuery, remoteServersQuery } from "../schemas/delivery.schema.ts";
import type {
  DeliveryRecordView,
  RemoteServer,
  ServerDelivery,
} from "../storage/views/delivery-record.view.ts";
import { type AdminEnv, requireScope } from "./admin-auth.ts";
import { ProblemError, problem, problemResponse, validationProblem } from "./problem.ts";
import { readQuery } from "./request.ts";

const badCursor = () =>
  new ProblemError(
    validationProblem([
      { pointer: "/query/cursor", detail: "is not a cursor this API handed out" },
    ]),
  );

const iso = (date: Date | null) => date?.toISOString() ?? null;

/**
 * The delivery record (docs/adr/0007): `GET /admin/articles/{id}/deliveries`, what became of a
 * publish at each remote server, and `GET /admin/servers`, each remote server's health.
 */
export function adminDeliveryRoutes(deliveries: DeliveryRecordView) {
  const routes = new Hono<AdminEnv>();

  routes.get("/articles/:id/deliveries", requireScope("publish"), async (c) => {
    const id = c.req.param("id");
    const query = readQuery(c, articleDeliveriesQuery);
    const result = isUuid(id)
      ? await deliveries.deliveriesForArticle(id, query)
      : ({ ok: false, error: "article-not-found" } as const);
    if (!result.ok) {
      if (result.error === "invalid-cursor") throw badCursor();
      return problemResponse(problem("notFound", `No article with id ${id}`));
    }
    const { summary, items, nextCursor } = result.value;
    return c.json({ ...summary, items: items.map(serverDeliveryJson), nextCursor });
  });

  routes.get("/servers", requireScope("admin"), async (c) => {
    const query = readQuery(c, remoteServersQuery);
    const result = await deliveries.remoteServers(query);
    if (!result.ok) throw badCursor();
    return c.json({
      items: result.value.items.map(remoteServerJson),
      nextCursor: result.value.nextCursor,
    });
  });

  return routes;
}

function serverDeliveryJson(delivery: ServerDelivery) {
  return { ...delivery, lastAttemptAt: iso(delivery.lastAttemptAt) };
}

function remoteServerJson(server: RemoteServer) {
  return {
    ...server,
    lastSuccessAt: iso(server.lastSuccessAt),
    lastFailureAt: iso(server.lastFailureAt),
  };
}
