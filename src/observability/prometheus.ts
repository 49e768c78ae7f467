import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { MetricsSnapshot } from "../storage/views/metrics.view.ts";
import type { DeliveryOutcome, DeliverySenderName, Metrics, MetricsExposition } from "./metrics.ts";

export interface PrometheusMetrics {
  /** What the app records into (the port). */
  readonly metrics: Metrics;
  /** Counters of warm feed documents answered by Node's fast path, before Hono. */
  readonly fastPath: FastPathCounter;
  readonly exposition: MetricsExposition;
}

/** Counts one fast-path answer by its status: a pre-bound counter, no allocation per request. */
export type FastPathCounter = (status: number) => void;

const SECONDS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const DELIVERY_SECONDS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/**
 * Node only: the app's metrics kept by prom-client in one registry of their own (not the
 * library's global one, so each app, and each test, has its own). The database gauges are read
 * from `snapshot` (storage/views/metrics.view.ts) when Prometheus scrapes, never before.
 * Node's process metrics (`collectDefaultMetrics`) are left out: they cost a timer and an
 * event-loop monitor all the time; node_exporter or cAdvisor gives those.
 */
export function createPrometheusMetrics(options: {
  readonly snapshot?: (() => Promise<MetricsSnapshot>) | undefined;
  readonly onSnapshotError?: (error: unknown) => void;
}): PrometheusMetrics {
  const registers = [new Registry()];
  const [registry] = registers as [Registry];

  const httpRequests = new Counter({
    name: "tidings_http_requests_total",
    help: "HTTP requests answered, by method, route pattern and status",
    labelNames: ["method", "route", "status"] as const,
    registers,
  });
  const httpDuration = new Histogram({
    name: "tidings_http_request_duration_seconds",
    help: "Time to answer an HTTP request through the app (the fast path is counted, not timed)",
    labelNames: ["method", "route"] as const,
    buckets: SECONDS,
    registers,
  });
  const feedRenders = new Histogram({
    name: "tidings_feed_render_duration_seconds",
    help: "Time to render one feed's documents (RSS, Atom and JSON Feed at once)",
    buckets: SECONDS,
    registers,
  });
  const deliveries = new Counter({
    name: "tidings_deliveries_total",
    help: "Delivery outcomes by sender (direct, fedify) and outcome (sent, refused_4xx, refused_5xx, refused_other, timeout, error, retried, given_up)",
    labelNames: ["sender", "outcome"] as const,
    registers,
  });
  const deliveryDuration = new Histogram({
    name: "tidings_delivery_duration_seconds",
    help: "Time of one delivery attempt that posted (sent, refused, timeout, error), by sender",
    labelNames: ["sender"] as const,
    buckets: DELIVERY_SECONDS,
    registers,
  });
  const inboxActivities = new Counter({
    name: "tidings_inbox_activities_total",
    help: "Activities received and verified in the inbox, by type",
    labelNames: ["type"] as const,
    registers,
  });
  const queueDepth = new Gauge({
    name: "tidings_queue_depth",
    help: "Messages in the delivery queue (ready, delayed or in hand)",
    registers,
  });
  const queueOldest = new Gauge({
    name: "tidings_queue_oldest_message_age_seconds",
    help: "Age of the oldest message in the delivery queue (0 when empty)",
    registers,
  });
  const outboxPending = new Gauge({
    name: "tidings_outbox_pending",
    help: "Publishes, updates and deletes committed but not yet relayed to the queue",
    registers,
  });
  const followers = new Gauge({
    name: "tidings_followers",
    help: "Fediverse followers per feed",
    labelNames: ["feed"] as const,
    registers,
  });
  const reports = new Gauge({
    name: "tidings_reports",
    help: "Reports (Flag) received, by state (open, resolved)",
    labelNames: ["state"] as const,
    registers,
  });
  const blocks = new Gauge({
    name: "tidings_blocks",
    help: "Blocks in force, by kind (domain, actor)",
    labelNames: ["kind"] as const,
    registers,
  });
  const snapshotUp = new Gauge({
    name: "tidings_metrics_database_up",
    help: "1 when the database gauges of this scrape were read, 0 when the database did not answer",
    registers,
  });

  const sentChildren = new Map<string, ReturnType<typeof deliveries.labels>>();
  const deliveryChild = (sender: DeliverySenderName, outcome: DeliveryOutcome) => {
    const key = `${sender}:${outcome}`;
    let child = sentChildren.get(key);
    if (!child) {
      child = deliveries.labels(sender, outcome);
      sentChildren.set(key, child);
    }
    return child;
  };
  const delivery = {
    direct: deliveryDuration.labels("direct"),
    fedify: deliveryDuration.labels("fedify"),
  };

  const metrics: Metrics = {
    httpRequest(method, route, status, seconds) {
      httpRequests.labels(method, route, String(status)).inc();
      httpDuration.labels(method, route).observe(seconds);
    },
    feedRender(seconds) {
      feedRenders.observe(seconds);
    },
    delivery(sender, outcome, seconds) {
      deliveryChild(sender, outcome).inc();
      if (seconds !== undefined) delivery[sender].observe(seconds);
    },
    inboxActivity(type) {
      inboxActivities.labels(type).inc();
    },
  };

  const fastChildren = new Map<number, ReturnType<typeof httpRequests.labels>>();
  const fastPath: FastPathCounter = (status) => {
    let child = fastChildren.get(status);
    if (!child) {
      child = httpRequests.labels("GET", "/feeds/:file", String(status));
      fastChildren.set(status, child);
    }
    child.inc();
  };

  async function readSnapshot(): Promise<void> {
    if (!options.snapshot) return;
    try {
      const snapshot = await options.snapshot();
      queueDepth.set(snapshot.queueDepth);
      queueOldest.set(snapshot.queueOldestSeconds);
      outboxPending.set(snapshot.outboxPending);
      followers.reset();
      for (const row of snapshot.followersByFeed) followers.labels(row.feed).set(row.followers);
      reports.labels("open").set(snapshot.reports.open);
      reports.labels("resolved").set(snapshot.reports.resolved);
      blocks.reset();
      for (const row of snapshot.blocksByKind) blocks.labels(row.kind).set(row.blocks);
      snapshotUp.set(1);
    } catch (error) {
      options.onSnapshotError?.(error);
      snapshotUp.set(0);
    }
  }

  return {
    metrics,
    fastPath,
    exposition: {
      contentType: registry.contentType,
      async render() {
        await readSnapshot();
        return registry.metrics();
      },
    },
  };
}
