import { createServer } from "node:net";

/**
 * A TCP port nothing listens on, for a server about to start: by default one the kernel picks on
 * 127.0.0.1 (from the ephemeral range). `belowEphemeral` probes random ports under 32768 instead,
 * on all interfaces: for a server that must get the same port back across restarts while
 * thousands of client connections take ephemeral ports (the fan-out benchmark).
 */
export async function freePort(options: { belowEphemeral?: boolean } = {}): Promise<number> {
  if (!options.belowEphemeral) return listenOnce(0, "127.0.0.1");
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await listenOnce(20_000 + Math.floor(Math.random() * 12_000)).catch(() => 0);
    if (port) return port;
  }
  throw new Error("no free port found between 20000 and 32000");
}

function listenOnce(port: number, host?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once("error", reject);
    server.listen(port, host, () => {
      const address = server.address();
      const bound = typeof address === "object" && address ? address.port : 0;
      server.close(() => (bound ? resolve(bound) : reject(new Error("could not pick a port"))));
    });
  });
}
