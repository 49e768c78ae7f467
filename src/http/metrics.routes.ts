import { Hono, type MiddlewareHandler } from "hono";
import { routePath } from "hono/route";
import { constantTimeEqual, hashToken } from "../domain/admin-token.ts";
import type { Metrics, MetricsExposition } from "../observability/metrics.ts";
import { problem, problemResponse } from "./problem.ts";

/**
 * `GET /metrics` in Prometheus' text format, for a bearer token (compared as SHA-256 digests in
 * constant time) when `token` is set; without one only on a listener of its own (METRICS_PORT).
 */
export function metricsRoutes(options: {
  readonly exposition: MetricsExposition;
  readonly token: string | undefined;
}): Hono {
  const expected = options.token === undefined ? undefined : hashToken(options.token);
  const routes = new Hono();
  routes.get("/metrics", async (c) => {
    if (expected) {
      const presented = /^Bearer\s+(\S+)\s*$/i.exec(c.req.header("authorization") ?? "")?.[1];
      const valid =
        presented !== undefined && constantTimeEqual(await expected, await hashToken(presented));
      if (!valid) {
        return problemResponse(
          problem(
            "unauthorized",
            presented ? "The metrics token is not valid" : "Send METRICS_TOKEN as a bearer token",
          ),
          { "www-authenticate": 'Bearer realm="tidings-metrics"' },
        );
      }
    }
    const body = await options.exposition.render();
    return c.body(body, 200, {
      "content-type": options.exposition.contentType,
      "cache-control": "no-store",
    });
  });
  return routes;
}

/**
 * Counts and times every request the app answers, labelled by the route pattern that answered
 * (`/articles/:id`, `/ap/*`), never the raw path, so the label set stays bounded; requests no
 * route took are labelled `*`.
 */
export function httpMetrics(metrics: Metrics): MiddlewareHandler {
  return async (c, next) => {
    const start = performance.now();
    await next();
    metrics.httpRequest(
      c.req.method,
      routePath(c) || "*",
      c.res.status,
      (performance.now() - start) / 1000,
    );
  };
}
