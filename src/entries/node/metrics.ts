import { createServer, type Server } from "node:http";
import { getRequestListener } from "@hono/node-server";
import { Hono } from "hono";
import type { Config } from "../../config.ts";
import { metricsRoutes } from "../../http/metrics.routes.ts";
import { problem, problemResponse } from "../../http/problem.ts";
import type { Logger } from "../../logger.ts";
import type { MetricsExposition } from "../../observability/metrics.ts";
import { createPrometheusMetrics, type PrometheusMetrics } from "../../observability/prometheus.ts";
import type { Stores } from "../../storage/stores.ts";

export interface NodeMetrics extends PrometheusMetrics {
  /** `GET /metrics` on the app's own port, when METRICS_TOKEN is set. */
  readonly endpoint: { readonly exposition: MetricsExposition; readonly token: string } | undefined;
}

/**
 * Metrics for this process when METRICS_TOKEN or METRICS_PORT is set; otherwise undefined, and
 * nothing anywhere counts anything. Node only: the Worker has no /metrics (see README, "Metrics").
 */
export function nodeMetricsFor(
  config: Pick<Config, "metricsToken" | "metricsPort">,
  stores: Pick<Stores, "views">,
  logger: Logger,
): NodeMetrics | undefined {
  if (config.metricsToken === undefined && config.metricsPort === undefined) return undefined;
  const prometheus = createPrometheusMetrics({
    snapshot: () => stores.views.metrics.snapshot(),
    onSnapshotError: (error) =>
      logger.warn("metrics: the database gauges were not read", { error }),
  });
  return {
    ...prometheus,
    endpoint:
      config.metricsToken === undefined
        ? undefined
        : { exposition: prometheus.exposition, token: config.metricsToken },
  };
}

/**
 * METRICS_PORT: a listener of its own that serves `GET /metrics` and nothing else, for a
 * scraper on a private network; it asks for METRICS_TOKEN too when that is set.
 */
export function metricsListener(options: {
  readonly exposition: MetricsExposition;
  readonly token: string | undefined;
}): Server {
  const app = new Hono();
  app.route("/", metricsRoutes(options));
  app.notFound(() => problemResponse(problem("notFound", "This port serves GET /metrics only")));
  return createServer(getRequestListener(app.fetch));
}

/** Starts the METRICS_PORT listener if configured; resolves once it listens. */
export async function serveMetricsPort(
  config: Pick<Config, "metricsToken" | "metricsPort">,
  metrics: NodeMetrics | undefined,
  logger: Logger,
): Promise<Server | undefined> {
  if (config.metricsPort === undefined || !metrics) return undefined;
  const server = metricsListener({ exposition: metrics.exposition, token: config.metricsToken });
  const port = config.metricsPort;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, () => {
      server.off("error", reject);
      resolve();
    });
  });
  logger.info(`metrics: GET /metrics on port ${port}`);
  return server;
}
