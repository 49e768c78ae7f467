import { createServer } from "node:net";

const LOWEST = 20_000;
/** Linux's ephemeral range starts at 32768 (net.ipv4.ip_local_port_range). */
const BELOW_EPHEMERAL = 32_000;

/**
 * A TCP port nothing listens on, for a server about to start. It is a random port under the
 * ephemeral range, probed on all interfaces, never one the kernel picks: a port from the
 * ephemeral range can be taken by any outgoing connection between this probe and the server's
 * `listen` (a CI run once lost the CLI test's server to EADDRINUSE that way), and a server that
 * restarts on the same port while thousands of client connections are open (the fan-out
 * benchmark) needs the same guarantee.
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const candidate = LOWEST + Math.floor(Math.random() * (BELOW_EPHEMERAL - LOWEST));
    const port = await listenOnce(candidate).catch(() => 0);
    if (port) return port;
  }
  throw new Error(`no free port found between ${LOWEST} and ${BELOW_EPHEMERAL}`);
}

function listenOnce(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once("error", reject);
    server.listen(port, () => {
      const address = server.address();
      const bound = typeof address === "object" && address ? address.port : 0;
      server.close(() => (bound ? resolve(bound) : reject(new Error("could not pick a port"))));
    });
  });
}
