/**
 * A WebSub subscriber on loopback for tests: answers the hub's verification GETs (echoing the
 * challenge, or not) and records the content POSTs, answering each as the test says.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { freePort } from "./free-port.ts";

export interface ReceivedVerification {
  readonly path: string;
  readonly params: URLSearchParams;
}

export interface ReceivedDelivery {
  readonly path: string;
  readonly headers: IncomingMessage["headers"];
  readonly body: Buffer;
}

/**
 * What the subscriber answers a content POST: a status, "hang" (never answer) or "hold"
 * (answer when the test calls `releaseHeld`).
 */
export type DeliveryAnswer = number | "hang" | "hold";

export interface Subscriber {
  readonly url: string;
  readonly verifications: ReceivedVerification[];
  readonly deliveries: ReceivedDelivery[];
  /** Verification GETs are answered with the challenge unless this says otherwise. */
  verifyAnswer: "echo" | "wrong";
  /** Answers to the next POSTs, in order; afterwards 204. */
  readonly deliveryAnswers: DeliveryAnswer[];
  /** Resolves with the n-th verification (1-based) once it has arrived. */
  verification(n: number): Promise<ReceivedVerification>;
  /** Answers the POSTs held so far ("hold") with this status. */
  releaseHeld(status: number): void;
  /** Resolves with the n-th content POST (1-based) once it has arrived. */
  delivery(n: number): Promise<ReceivedDelivery>;
  close(): Promise<void>;
}

export async function startSubscriber(): Promise<Subscriber> {
  const port = await freePort();
  const waiters: (() => void)[] = [];
  const hanging = new Set<ServerResponse>();
  const held: ServerResponse[] = [];
  const notify = () => {
    for (const wake of waiters.splice(0)) wake();
  };
  const until = async <T>(pick: () => T | undefined): Promise<T> => {
    for (;;) {
      const found = pick();
      if (found !== undefined) return found;
      await new Promise<void>((resolve) => waiters.push(resolve));
    }
  };
  const subscriber: Subscriber = {
    url: `http://127.0.0.1:${port}`,
    verifications: [],
    deliveries: [],
    verifyAnswer: "echo",
    deliveryAnswers: [],
    verification: (n) => until(() => subscriber.verifications[n - 1]),
    delivery: (n) => until(() => subscriber.deliveries[n - 1]),
    releaseHeld: (status) => {
      for (const response of held.splice(0)) {
        response.writeHead(status);
        response.end();
      }
    },
    close: () =>
      new Promise((resolve) => {
        for (const response of hanging) response.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  const server = createServer((request, response) => {
    const url = new URL(request.url ?? "/", subscriber.url);
    if (request.method === "GET") {
      subscriber.verifications.push({ path: url.pathname, params: url.searchParams });
      notify();
      const challenge = url.searchParams.get("hub.challenge") ?? "";
      response.writeHead(200, { "content-type": "text/plain" });
      response.end(subscriber.verifyAnswer === "echo" ? challenge : `not-${challenge}`);
      return;
    }
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      subscriber.deliveries.push({
        path: url.pathname,
        headers: request.headers,
        body: Buffer.concat(chunks),
      });
      notify();
      const answer = subscriber.deliveryAnswers.shift() ?? 204;
      if (answer === "hang") {
        hanging.add(response);
        return;
      }
      if (answer === "hold") {
        held.push(response);
        return;
      }
      response.writeHead(answer);
      response.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  return subscriber;
}
