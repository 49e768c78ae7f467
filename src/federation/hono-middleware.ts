import type { Federation } from "@fedify/fedify";
import type { MiddlewareHandler } from "hono";
import type { FederationData } from "./context-data.ts";

/**
 * Hands requests to Fedify; what it does not own (or cannot answer in the requested format)
 * falls through to the Hono routes, so pages and ActivityPub can share URLs.
 */
export function federationMiddleware(
  federation: Federation<FederationData>,
  contextData: FederationData,
): MiddlewareHandler {
  return async (c, next) =>
    federation.fetch(c.req.raw, {
      contextData,
      onNotFound: async () => {
        await next();
        return c.res;
      },
      onNotAcceptable: async () => {
        await next();
        if (c.res.status !== 404) return c.res;
        return new Response("Not acceptable", {
          status: 406,
          headers: { "content-type": "text/plain; charset=utf-8", vary: "Accept" },
        });
      },
    });
}
