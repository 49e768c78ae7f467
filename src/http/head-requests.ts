import type { Hono } from "hono";

type Fetch = Hono["fetch"];

/**
 * HEAD for every GET route, with GET's status and headers (RFC 9110 §9.3.2) and no body.
 *
 * Hono answers HEAD by running the GET route and wrapping its answer in `new Response(null, res)`;
 * under @hono/node-server, whose lightweight Response that copy does not understand, the copy
 * drops headers set through `c.header()` (`Vary`) or fails with 500. So HEAD is answered here
 * instead: the request runs as GET, and its status and headers are copied into a plain
 * Response. A `Content-Length` GET would have sent is stated too, when the route did not.
 */
export function answeringHead(fetch: Fetch): Fetch {
  return async (request, env, executionCtx) => {
    if (request.method !== "HEAD") return fetch(request, env, executionCtx);
    const asGet = new Request(request, { method: "GET" });
    const response = await fetch(asGet, env, executionCtx);
    const headers = new Headers(response.headers);
    if (!headers.has("content-length") && response.body !== null && hasBody(response.status)) {
      headers.set("content-length", String((await response.arrayBuffer()).byteLength));
    } else {
      await response.body?.cancel();
    }
    return new Response(null, {
      status: response.status,
      statusText: response.statusText,
      headers,
    });
  };
}

/** Statuses whose GET answers carry a body (and so a length). */
function hasBody(status: number): boolean {
  return status >= 200 && status !== 204 && status !== 304;
}
