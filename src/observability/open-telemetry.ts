import { AsyncLocalStorage } from "node:async_hooks";
import {
  type Context,
  type ContextManager,
  context,
  type MeterProvider as MeterProviderApi,
  ROOT_CONTEXT,
  type TracerProvider as TracerProviderApi,
} from "@opentelemetry/api";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { MeterProvider, PeriodicExportingMetricReader } from "@opentelemetry/sdk-metrics";
import { BasicTracerProvider, BatchSpanProcessor } from "@opentelemetry/sdk-trace-base";
import type { Logger } from "../logger.ts";
import { OtlpHttpJsonExporter } from "./otlp-exporter.ts";

export interface OpenTelemetryOptions {
  /** OTEL_EXPORTER_OTLP_ENDPOINT. */
  readonly endpoint: string;
  readonly serviceName: string;
  readonly serviceVersion?: string;
  readonly metricExportIntervalMs: number;
  readonly logger: Logger;
  /** Spans waiting for export at most; past that new ones are dropped (default 2,048). */
  readonly maxQueuedSpans?: number;
  /** Span batches go out this often at most (default 5 s). */
  readonly spanExportDelayMs?: number;
}

/** What Fedify is given (`tracerProvider`, `meterProvider`), and how to stop exporting. */
export interface OpenTelemetry {
  readonly tracerProvider: TracerProviderApi;
  readonly meterProvider: MeterProviderApi;
  /** Exports what is waiting (for tests and before stopping). */
  forceFlush(): Promise<void>;
  /** Exports what is waiting and stops. */
  shutdown(): Promise<void>;
}

/**
 * OpenTelemetry for Fedify's own traces and metrics, exported to an OTLP/HTTP collector as JSON
 * (otlp-exporter.ts). Loaded only when OTEL_EXPORTER_OTLP_ENDPOINT is set (the Node entry imports
 * this module dynamically); without it Fedify gets no providers and uses the API's no-ops.
 * Registers a context manager on AsyncLocalStorage so that Fedify's spans nest (the API has
 * none by default, and no context-async-hooks package is installed).
 */
export function startOpenTelemetry(options: OpenTelemetryOptions): OpenTelemetry {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager());
  const resource = resourceFromAttributes({
    "service.name": options.serviceName,
    ...(options.serviceVersion ? { "service.version": options.serviceVersion } : {}),
  });
  const exporter = new OtlpHttpJsonExporter({ endpoint: options.endpoint, logger: options.logger });
  const tracerProvider = new BasicTracerProvider({
    resource,
    spanProcessors: [
      new BatchSpanProcessor(exporter, {
        maxQueueSize: options.maxQueuedSpans ?? 2_048,
        maxExportBatchSize: 512,
        scheduledDelayMillis: options.spanExportDelayMs ?? 5_000,
      }),
    ],
  });
  const meterProvider = new MeterProvider({
    resource,
    readers: [
      new PeriodicExportingMetricReader({
        exporter,
        exportIntervalMillis: options.metricExportIntervalMs,
        exportTimeoutMillis: Math.min(10_000, options.metricExportIntervalMs),
      }),
    ],
  });
  const quietly = (what: string) => (error: unknown) =>
    options.logger.warn(`OpenTelemetry: ${what} failed`, { error });
  return {
    tracerProvider,
    meterProvider,
    async forceFlush() {
      await Promise.all([
        tracerProvider.forceFlush().catch(quietly("flushing spans")),
        meterProvider.forceFlush().catch(quietly("flushing metrics")),
      ]);
    },
    async shutdown() {
      await Promise.all([
        tracerProvider.shutdown().catch(quietly("shutting the tracer down")),
        meterProvider.shutdown().catch(quietly("shutting the meter down")),
      ]);
      context.disable();
    },
  };
}

/** The active OpenTelemetry context, carried across awaits by AsyncLocalStorage. */
class AsyncLocalStorageContextManager implements ContextManager {
  readonly #storage = new AsyncLocalStorage<Context>();

  active(): Context {
    return this.#storage.getStore() ?? ROOT_CONTEXT;
  }

  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(
    ctx: Context,
    fn: F,
    thisArg?: ThisParameterType<F>,
    ...args: A
  ): ReturnType<F> {
    return this.#storage.run(ctx, () => fn.call(thisArg, ...args));
  }

  bind<T>(ctx: Context, target: T): T {
    if (typeof target !== "function") return target;
    const manager = this;
    return function (this: unknown, ...args: unknown[]) {
      return manager.with(ctx, () => (target as (...a: unknown[]) => unknown).apply(this, args));
    } as T;
  }

  enable(): this {
    return this;
  }

  disable(): this {
    this.#storage.disable();
    return this;
  }
}
