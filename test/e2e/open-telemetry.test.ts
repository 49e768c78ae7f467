import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { silentLogger } from "../../src/logger.ts";
import { type OpenTelemetry, startOpenTelemetry } from "../../src/observability/open-telemetry.ts";
import { type FederatedServer, startFederatedServer } from "../support/federated-server.ts";
import { follow, type PeerServer, postSigned, startPeerServer } from "../support/fediverse-peer.ts";
import {
  attribute,
  receivedMetrics,
  receivedSpans,
  startCollector,
} from "../support/otlp-collector.ts";

/**
 * OTEL_EXPORTER_OTLP_ENDPOINT: Fedify's own traces and metrics of a follow and a publish reach a
 * loopback OTLP/HTTP collector as JSON (Fedify's sender, which is the one that traces).
 */
describe("Fedify's traces and metrics over OTLP/HTTP JSON", () => {
  let collector: Awaited<ReturnType<typeof startCollector>>;
  let telemetry: OpenTelemetry;
  let server: FederatedServer;
  let peer: PeerServer;

  beforeAll(async () => {
    collector = await startCollector();
    telemetry = startOpenTelemetry({
      endpoint: collector.url,
      serviceName: "tidings",
      metricExportIntervalMs: 60_000,
      logger: silentLogger,
    });
    server = await startFederatedServer("pglite", "fedify", { telemetry });
    peer = await startPeerServer({ host: "127.0.0.41", actors: ["ann"] });
  });
  afterAll(async () => {
    await telemetry?.shutdown();
    await peer?.close();
    await server?.close();
    await collector?.close();
  });

  it("exports the inbox's and the sender's spans and Fedify's delivery counter", async () => {
    const actorId = `${server.url}/ap/feeds/world`;
    const ann = peer.actor("ann");
    expect(
      (await postSigned(`${actorId}/inbox`, follow(ann, actorId), { actor: ann })).status,
    ).toBe(202);
    await peer.waitFor((r) => r.type === "Accept", 15_000);
    expect(await server.publishToWorld("Summit opens")).toMatch(/^[0-9a-f-]{36}$/);
    await peer.waitFor((r) => r.type === "Create", 15_000);
    await server.settle();
    await telemetry.forceFlush();

    const spans = receivedSpans(collector.received);
    const names = new Set(spans.map((span) => span.name));
    expect(names).toContain("activitypub.inbox");
    expect(names).toContain("activitypub.outbox");
    expect(names).toContain("activitypub.send_activity");
    const sends = spans.filter((span) => span.name === "activitypub.send_activity");
    expect(
      sends.map((span) => attribute(span.attributes, "activitypub.activity.type")),
    ).toContainEqual({ stringValue: "https://www.w3.org/ns/activitystreams#Create" });
    const delivered = receivedMetrics(collector.received).find(
      (metric) => metric.name === "activitypub.delivery.sent",
    );
    const sent = delivered.sum.dataPoints.reduce(
      (total: number, point: { asInt?: string }) => total + Number(point.asInt ?? 0),
      0,
    );
    expect(sent).toBeGreaterThanOrEqual(2); // the Accept and the Create
  });
});
