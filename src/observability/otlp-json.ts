import type { Attributes, AttributeValue, HrTime } from "@opentelemetry/api";
import type { Resource } from "@opentelemetry/resources";
import {
  AggregationTemporality,
  DataPointType,
  type Histogram,
  type MetricData,
  type ResourceMetrics,
} from "@opentelemetry/sdk-metrics";
import type { ReadableSpan } from "@opentelemetry/sdk-trace-base";

/**
 * OpenTelemetry's SDK data as OTLP/HTTP JSON (opentelemetry-proto's JSON mapping: ids in hex,
 * 64-bit integers as decimal strings, enums as numbers), for the exporter in otlp-exporter.ts:
 * no OTLP exporter package is installed, and these are the only two messages it sends.
 */

type AnyValue =
  | { stringValue: string }
  | { boolValue: boolean }
  | { intValue: string }
  | { doubleValue: number }
  | { arrayValue: { values: AnyValue[] } };

interface KeyValue {
  key: string;
  value: AnyValue;
}

function anyValue(value: AttributeValue): AnyValue {
  if (Array.isArray(value)) {
    return {
      arrayValue: {
        values: (value as unknown[])
          .filter((item) => item !== null && item !== undefined)
          .map((item) => anyValue(item as AttributeValue)),
      },
    };
  }
  if (typeof value === "boolean") return { boolValue: value };
  if (typeof value === "number") {
    return Number.isInteger(value) ? { intValue: String(value) } : { doubleValue: value };
  }
  return { stringValue: String(value) };
}

export function keyValues(attributes: Attributes | undefined): KeyValue[] {
  const out: KeyValue[] = [];
  for (const [key, value] of Object.entries(attributes ?? {})) {
    if (value !== undefined && value !== null) out.push({ key, value: anyValue(value) });
  }
  return out;
}

/** [seconds, nanoseconds] as nanoseconds since the epoch, in decimal (beyond 2^53). */
export function unixNano(time: HrTime): string {
  return (BigInt(time[0]) * 1_000_000_000n + BigInt(time[1])).toString();
}

function resourceJson(resource: Resource) {
  return { attributes: keyValues(resource.attributes) };
}

/** Groups `items` by a key object (resource, scope), in order of first appearance. */
function groupBy<T, K>(items: readonly T[], keyOf: (item: T) => K): Map<K, T[]> {
  const groups = new Map<K, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    const group = groups.get(key);
    if (group) group.push(item);
    else groups.set(key, [item]);
  }
  return groups;
}

/** `ExportTraceServiceRequest` for POST /v1/traces. */
export function tracesRequest(spans: readonly ReadableSpan[]) {
  return {
    resourceSpans: [...groupBy(spans, (span) => span.resource)].map(([resource, ofResource]) => ({
      resource: resourceJson(resource),
      scopeSpans: [...groupBy(ofResource, (span) => span.instrumentationScope)].map(
        ([scope, ofScope]) => ({
          scope: { name: scope.name, version: scope.version ?? "" },
          spans: ofScope.map(spanJson),
        }),
      ),
    })),
  };
}

function spanJson(span: ReadableSpan) {
  const context = span.spanContext();
  return {
    traceId: context.traceId,
    spanId: context.spanId,
    parentSpanId: span.parentSpanContext?.spanId ?? "",
    name: span.name,
    // OTLP counts SPAN_KIND_UNSPECIFIED as 0; the API's INTERNAL (0) is OTLP's 1.
    kind: span.kind + 1,
    startTimeUnixNano: unixNano(span.startTime),
    endTimeUnixNano: unixNano(span.endTime),
    attributes: keyValues(span.attributes),
    droppedAttributesCount: span.droppedAttributesCount,
    events: span.events.map((event) => ({
      timeUnixNano: unixNano(event.time),
      name: event.name,
      attributes: keyValues(event.attributes),
    })),
    links: span.links.map((link) => ({
      traceId: link.context.traceId,
      spanId: link.context.spanId,
      attributes: keyValues(link.attributes),
    })),
    status: { code: span.status.code, message: span.status.message ?? "" },
  };
}

/** `ExportMetricsServiceRequest` for POST /v1/metrics. */
export function metricsRequest(metrics: ResourceMetrics) {
  return {
    resourceMetrics: [
      {
        resource: resourceJson(metrics.resource),
        scopeMetrics: metrics.scopeMetrics.map((scopeMetrics) => ({
          scope: { name: scopeMetrics.scope.name, version: scopeMetrics.scope.version ?? "" },
          metrics: scopeMetrics.metrics.flatMap(metricJson),
        })),
      },
    ],
  };
}

/** OTLP's AggregationTemporality: DELTA 1, CUMULATIVE 2. */
function temporality(value: AggregationTemporality): number {
  return value === AggregationTemporality.DELTA ? 1 : 2;
}

/** One metric as OTLP JSON (a list: empty for a kind this exporter does not send). */
function metricJson(metric: MetricData): object[] {
  const { name, description, unit } = metric.descriptor;
  const base = { name, description, unit };
  const point = (p: MetricData["dataPoints"][number]) => ({
    attributes: keyValues(p.attributes),
    startTimeUnixNano: unixNano(p.startTime),
    timeUnixNano: unixNano(p.endTime),
  });
  const numberPoint = (p: MetricData["dataPoints"][number]) => {
    const value = p.value as number;
    return {
      ...point(p),
      ...(Number.isInteger(value) ? { asInt: String(value) } : { asDouble: value }),
    };
  };
  switch (metric.dataPointType) {
    case DataPointType.SUM:
      return [
        {
          ...base,
          sum: {
            dataPoints: metric.dataPoints.map(numberPoint),
            aggregationTemporality: temporality(metric.aggregationTemporality),
            isMonotonic: metric.isMonotonic,
          },
        },
      ];
    case DataPointType.GAUGE:
      return [{ ...base, gauge: { dataPoints: metric.dataPoints.map(numberPoint) } }];
    case DataPointType.HISTOGRAM:
      return [
        {
          ...base,
          histogram: {
            dataPoints: metric.dataPoints.map((p) => {
              const value = p.value as Histogram;
              return {
                ...point(p),
                count: String(value.count),
                sum: value.sum,
                bucketCounts: value.buckets.counts.map(String),
                explicitBounds: value.buckets.boundaries,
                ...(value.min === undefined ? {} : { min: value.min }),
                ...(value.max === undefined ? {} : { max: value.max }),
              };
            }),
            aggregationTemporality: temporality(metric.aggregationTemporality),
          },
        },
      ];
    default:
      // Exponential histograms: no instrument of Fedify's asks for them; not sent.
      return [];
  }
}
