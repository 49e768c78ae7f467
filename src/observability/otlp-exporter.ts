import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { type ExportResult, ExportResultCode } from "@opentelemetry/core";
import type { PushMetricExporter, ResourceMetrics } from "@opentelemetry/sdk-metrics";
import type { ReadableSpan, SpanExporter } from "@opentelemetry/sdk-trace-base";
import type { Logger } from "../logger.ts";
import { metricsRequest, tracesRequest } from "./otlp-json.ts";

export interface OtlpExporterOptions {
  /** The collector's base URL (`http://collector:4318`); `/v1/traces` and `/v1/metrics` under it. */
  readonly endpoint: string;
  readonly logger: Logger;
  /** A POST not answered after this long is abandoned (default 10 s). */
  readonly timeoutMs?: number;
  /** POSTs in flight at once; past that an export fails at once (default 2). */
  readonly maxInFlight?: number;
}

/**
 * Sends OpenTelemetry spans and metrics to an OTLP/HTTP collector as JSON. Never throws and
 * never waits on the app: an export is one POST with a timeout, at most `maxInFlight` at once
 * (the SDK's batch span processor and periodic metric reader queue in front of it, bounded, and
 * drop what does not fit), and a failure is reported to the SDK and logged once per run of
 * failures. Posts with node:http rather than fetch: the process's fetch refuses private
 * addresses (guarded-fetch.ts), and a collector usually is one.
 */
export class OtlpHttpJsonExporter implements SpanExporter, PushMetricExporter {
  readonly #base: URL;
  readonly #logger: Logger;
  readonly #timeoutMs: number;
  readonly #maxInFlight: number;
  readonly #inFlight = new Set<Promise<void>>();
  #failing = false;
  #shutDown = false;

  constructor(options: OtlpExporterOptions) {
    this.#base = new URL(
      options.endpoint.endsWith("/") ? options.endpoint : `${options.endpoint}/`,
    );
    this.#logger = options.logger;
    this.#timeoutMs = options.timeoutMs ?? 10_000;
    this.#maxInFlight = options.maxInFlight ?? 2;
  }

  /** SpanExporter and PushMetricExporter share the name: spans come as an array. */
  export(
    items: ReadableSpan[] | ResourceMetrics,
    resultCallback: (result: ExportResult) => void,
  ): void {
    const [path, body] = Array.isArray(items)
      ? ["v1/traces", tracesRequest(items)]
      : ["v1/metrics", metricsRequest(items)];
    if (this.#shutDown || this.#inFlight.size >= this.#maxInFlight) {
      resultCallback({ code: ExportResultCode.FAILED });
      return;
    }
    const sending = this.#post(new URL(path, this.#base), JSON.stringify(body)).then(
      () => {
        if (this.#failing) this.#logger.info("OpenTelemetry export: the collector answers again");
        this.#failing = false;
        resultCallback({ code: ExportResultCode.SUCCESS });
      },
      (error: unknown) => {
        if (!this.#failing) {
          this.#logger.warn("OpenTelemetry export failed; dropping this batch", {
            url: new URL(path, this.#base).href,
            error,
          });
        }
        this.#failing = true;
        resultCallback({
          code: ExportResultCode.FAILED,
          error: error instanceof Error ? error : new Error(String(error)),
        });
      },
    );
    this.#inFlight.add(sending);
    void sending.finally(() => this.#inFlight.delete(sending));
  }

  /** Resolves when the POSTs in flight are over. */
  async forceFlush(): Promise<void> {
    await Promise.allSettled([...this.#inFlight]);
  }

  async shutdown(): Promise<void> {
    this.#shutDown = true;
    await this.forceFlush();
  }

  #post(url: URL, body: string): Promise<void> {
    const request = url.protocol === "https:" ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = request(
        url,
        {
          method: "POST",
          headers: {
            "content-type": "application/json",
            "content-length": Buffer.byteLength(body),
          },
          timeout: this.#timeoutMs,
        },
        (res) => {
          res.resume();
          res.on("end", () => {
            const status = res.statusCode ?? 0;
            if (status >= 200 && status < 300) resolve();
            else reject(new Error(`the collector answered ${status}`));
          });
          res.on("error", reject);
        },
      );
      req.on("timeout", () => req.destroy(new Error(`no answer after ${this.#timeoutMs} ms`)));
      req.on("error", reject);
      req.end(body);
    });
  }
}
