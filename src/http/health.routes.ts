import { Hono } from "hono";
import { unavailableResponse } from "./problem.ts";

/** `GET /healthz`: 200 when the database answers, 503 otherwise (for load balancers). */
export function healthRoutes(checkDatabase: () => Promise<void>): Hono {
  const routes = new Hono();
  routes.get("/healthz", async (c) => {
    try {
      await checkDatabase();
    } catch {
      return unavailableResponse("The database does not answer");
    }
    c.header("cache-control", "no-store");
    return c.json({ status: "ok" });
  });
  return routes;
}
