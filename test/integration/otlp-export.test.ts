import { ExportResultCode } from "@opentelemetry/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { silentLogger } from "../../src/logger.ts";
import { startOpenTelemetry } from "../../src/observability/open-telemetry.ts";
import { OtlpHttpJsonExporter } from "../../src/observability/otlp-exporter.ts";
import {
  attribute,
  type Json,
  receivedMetrics,
  receivedSpans,
  startCollector,
} from "../support/otlp-collector.ts";

describe("OpenTelemetry export to an OTLP/HTTP JSON collector", () => {
  let collector: Awaited<ReturnType<typeof startCollector>>;
  beforeAll(async () => {
    collector = await startCollector();
  });
  afterAll(async () => {
    await collector?.close();
  });

  it("sends nested spans and metrics as OTLP JSON to /v1/traces and /v1/metrics", async () => {
    const telemetry = startOpenTelemetry({
      endpoint: collector.url,
      serviceName: "tidings-test",
      metricExportIntervalMs: 60_000,
      logger: silentLogger,
    });
    const tracer = telemetry.tracerProvider.getTracer("@fedify/fedify", "2.3.6");
    await tracer.startActiveSpan("activitypub.outbox", async (parent) => {
      parent.setAttribute("activitypub.activity.type", "Create");
      await new Promise((resolve) => setTimeout(resolve, 5));
      // Opened after an await, inside the parent: nested through the context manager.
      tracer.startSpan("activitypub.send_activity").end();
      parent.addEvent("delivered", { "http.response.status_code": 202 });
      parent.end();
    });
    const meter = telemetry.meterProvider.getMeter("@fedify/fedify");
    meter.createCounter("activitypub.delivery.sent", { unit: "{activity}" }).add(3, {
      host: "a.example",
    });
    meter.createHistogram("activitypub.delivery.duration", { unit: "ms" }).record(12.5);
    await telemetry.forceFlush();
    await telemetry.shutdown();

    const traces = collector.received.filter((r) => r.path === "/v1/traces");
    expect(traces.length).toBeGreaterThanOrEqual(1);
    expect(traces[0]?.contentType).toBe("application/json");
    const resourceSpans = traces.flatMap((r) => r.body.resourceSpans);
    expect(attribute(resourceSpans[0].resource.attributes, "service.name")).toEqual({
      stringValue: "tidings-test",
    });
    const scope = resourceSpans[0].scopeSpans[0];
    expect(scope.scope).toEqual({ name: "@fedify/fedify", version: "2.3.6" });
    const spans = receivedSpans(collector.received);
    const outbox = spans.find((s: Json) => s.name === "activitypub.outbox");
    const send = spans.find((s: Json) => s.name === "activitypub.send_activity");
    expect(outbox.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(outbox.spanId).toMatch(/^[0-9a-f]{16}$/);
    expect(send.parentSpanId).toBe(outbox.spanId);
    expect(send.traceId).toBe(outbox.traceId);
    expect(outbox.kind).toBe(1); // SPAN_KIND_INTERNAL
    expect(BigInt(outbox.endTimeUnixNano)).toBeGreaterThan(BigInt(outbox.startTimeUnixNano));
    expect(attribute(outbox.attributes, "activitypub.activity.type")).toEqual({
      stringValue: "Create",
    });
    expect(outbox.events[0].name).toBe("delivered");
    expect(attribute(outbox.events[0].attributes, "http.response.status_code")).toEqual({
      intValue: "202",
    });

    const metrics = receivedMetrics(collector.received);
    const sent = metrics.find((m: Json) => m.name === "activitypub.delivery.sent");
    expect(sent.unit).toBe("{activity}");
    expect(sent.sum.isMonotonic).toBe(true);
    expect(sent.sum.aggregationTemporality).toBe(2); // CUMULATIVE
    expect(sent.sum.dataPoints[0].asInt).toBe("3");
    expect(attribute(sent.sum.dataPoints[0].attributes, "host")).toEqual({
      stringValue: "a.example",
    });
    const duration = metrics.find((m: Json) => m.name === "activitypub.delivery.duration");
    expect(duration.histogram.dataPoints[0]).toMatchObject({ count: "1", sum: 12.5 });
    expect(duration.histogram.dataPoints[0].bucketCounts).toHaveLength(
      duration.histogram.dataPoints[0].explicitBounds.length + 1,
    );
  });

  it("reports a refusing or silent collector as a failed export, without throwing", async () => {
    const exporter = new OtlpHttpJsonExporter({
      endpoint: collector.url,
      logger: silentLogger,
      timeoutMs: 200,
      maxInFlight: 1,
    });
    const exportOnce = () =>
      new Promise<number>((resolve) => exporter.export([], (result) => resolve(result.code)));
    collector.answer("error");
    expect(await exportOnce()).toBe(ExportResultCode.FAILED);
    collector.answer("hang");
    const started = Date.now();
    const hanging = exportOnce();
    // One in flight already: the next fails at once rather than queue behind it.
    expect(await exportOnce()).toBe(ExportResultCode.FAILED);
    expect(await hanging).toBe(ExportResultCode.FAILED);
    expect(Date.now() - started).toBeLessThan(5_000);
    collector.answer("ok");
    expect(await exportOnce()).toBe(ExportResultCode.SUCCESS);
    await exporter.shutdown();
    expect(await exportOnce()).toBe(ExportResultCode.FAILED);
  });

  it("reports an unreachable collector as a failed export", async () => {
    const exporter = new OtlpHttpJsonExporter({
      endpoint: "http://127.0.0.1:9",
      logger: silentLogger,
    });
    const code = await new Promise<number>((resolve) =>
      exporter.export([], (result) => resolve(result.code)),
    );
    expect(code).toBe(ExportResultCode.FAILED);
  });
});
