/**
 * Inboxes that fail in ways a real server does: never answer, reset the connection, or answer
 * one byte a second. Each counts the connections it gets (the sender's attempts).
 */
import { createServer as createHttpServer } from "node:http";
import { createServer as createNetServer, type Server } from "node:net";

export interface MisbehavingInbox {
  readonly kind: "hang" | "reset" | "slow";
  readonly inbox: string;
  /** ms since the epoch of each connection. */
  readonly connections: readonly number[];
  close(): Promise<void>;
}

export async function startMisbehavingInbox(
  kind: MisbehavingInbox["kind"],
  host: string,
): Promise<MisbehavingInbox> {
  const connections: number[] = [];
  const sockets = new Set<import("node:net").Socket>();
  const timers = new Set<NodeJS.Timeout>();
  let server: Server;
  if (kind === "reset") {
    server = createNetServer((socket) => {
      connections.push(Date.now());
      socket.once("data", () => socket.resetAndDestroy());
      socket.on("error", () => {});
    });
  } else {
    server = createHttpServer((req, res) => {
      connections.push(Date.now());
      req.resume();
      if (kind === "hang") return; // never answers
      // One byte a second of a 200 that never completes in time.
      const text = "HTTP/1.1 202 Accepted\r\ncontent-length: 0\r\n\r\n";
      let i = 0;
      const timer = setInterval(() => {
        if (i >= text.length || res.socket?.destroyed) {
          clearInterval(timer);
          return;
        }
        res.socket?.write(text[i++] ?? "");
      }, 1_000);
      timers.add(timer);
    });
  }
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as { port: number };
  return {
    kind,
    inbox: `http://${host}:${port}/inbox`,
    connections,
    async close() {
      for (const timer of timers) clearInterval(timer);
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
