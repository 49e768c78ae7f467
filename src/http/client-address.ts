import type { Context } from "hono";

/**
 * The address a request came from, for counting what one client does: on Node the socket's
 * peer (`@hono/node-server` passes the request in `c.env.incoming`), on Workers the address
 * Cloudflare's edge saw (`CF-Connecting-IP`, which a client cannot set through it). Behind a
 * reverse proxy on Node this is the proxy's address. "unknown" when neither is there (tests
 * calling `app.request`).
 */
export function clientAddressOf(c: Context): string {
  const env = c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined;
  const socketAddress = env?.incoming?.socket?.remoteAddress;
  if (socketAddress) return socketAddress;
  return c.req.header("cf-connecting-ip") ?? "unknown";
}
