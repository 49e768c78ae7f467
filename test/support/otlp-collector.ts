import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** OTLP JSON as received: read loosely, each test asserting the fields it names. */
// biome-ignore lint/suspicious/noExplicitAny: a JSON document walked by the assertions
export type Json = any;

interface Received {
  readonly path: string;
  readonly contentType: string | undefined;
  readonly body: Json;
}

/** A loopback OTLP/HTTP collector that keeps what it is sent, or answers as told. */
export async function startCollector() {
  const received: Received[] = [];
  let answer: "ok" | "error" | "hang" = "ok";
  const read = async (req: IncomingMessage) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString("utf8");
  };
  const server: Server = createServer(async (req, res) => {
    const text = await read(req);
    if (answer === "hang") return;
    if (answer === "error") {
      res.writeHead(503).end();
      return;
    }
    received.push({
      path: req.url ?? "",
      contentType: req.headers["content-type"],
      body: JSON.parse(text),
    });
    res.writeHead(200, { "content-type": "application/json" }).end("{}");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    answer(how: typeof answer) {
      answer = how;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** An OTLP attribute's value by key. */
export const attribute = (attributes: { key: string; value: unknown }[], key: string) =>
  attributes.find((a) => a.key === key)?.value;

/** Every span or metric the collector received, flattened out of their resources and scopes. */
export function receivedSpans(received: readonly Received[]): Json[] {
  return received
    .filter((r) => r.path === "/v1/traces")
    .flatMap((r) => r.body.resourceSpans)
    .flatMap((r: Json) => r.scopeSpans.flatMap((s: Json) => s.spans));
}

export function receivedMetrics(received: readonly Received[]): Json[] {
  return received
    .filter((r) => r.path === "/v1/metrics")
    .flatMap((r) => r.body.resourceMetrics)
    .flatMap((r: Json) => r.scopeMetrics.flatMap((s: Json) => s.metrics));
}
