/**
 * What the app tells its metrics, without knowing how they are kept (the port). Domain,
 * federation and HTTP code call these; only `prometheus.ts` (Node) knows prom-client. When
 * metrics are off nothing is passed, and callers skip the call (`metrics?.…`): no work at all.
 */

/** Who sent a delivery: our direct sender, or Fedify's own. */
export type DeliverySenderName = "direct" | "fedify";

/**
 * What became of one POST of one activity to one inbox (or of the message that holds it):
 * `sent` (2xx), `refused_4xx` / `refused_5xx` / `refused_other` (the inbox answered otherwise),
 * `timeout` (no answer in time), `error` (no connection, a cut answer, …), `retried` (queued
 * again for a later attempt), `given_up` (dropped for good: 404/410, or out of attempts).
 */
export type DeliveryOutcome =
  | "sent"
  | "refused_4xx"
  | "refused_5xx"
  | "refused_other"
  | "timeout"
  | "error"
  | "retried"
  | "given_up";

export interface Metrics {
  /** One HTTP request answered; `route` is the route pattern (`/articles/:id`), never the path. */
  httpRequest(method: string, route: string, status: number, seconds: number): void;
  /** One feed rendered (all its formats at once). */
  feedRender(seconds: number): void;
  /** One delivery outcome; `seconds` for the attempts that posted (sent, refused, timeout). */
  delivery(sender: DeliverySenderName, outcome: DeliveryOutcome, seconds?: number): void;
  /** One activity received in the inbox, by its ActivityStreams type. */
  inboxActivity(type: string): void;
}

/** What `GET /metrics` answers: Prometheus' text exposition format. */
export interface MetricsExposition {
  readonly contentType: string;
  render(): Promise<string>;
}

/** The outcome an answer's status stands for. */
export function outcomeOfStatus(status: number): DeliveryOutcome {
  if (status >= 200 && status < 300) return "sent";
  if (status >= 400 && status < 500) return "refused_4xx";
  if (status >= 500 && status < 600) return "refused_5xx";
  return "refused_other";
}

/** Seconds since `start` (a `performance.now()` reading). */
export function secondsSince(start: number): number {
  return (performance.now() - start) / 1000;
}
