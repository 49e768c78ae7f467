import type { Federation } from "@fedify/fedify";
import type { Context, MiddlewareHandler, Next } from "hono";
import { problem, problemResponse } from "../http/problem.ts";
import type { FederationData } from "./context-data.ts";
import { PATHS } from "./paths.ts";
import { expandPublicAudienceInResponse } from "./public-audience.ts";

/** Decides whether an inbox POST reaches Fedify: the request to hand on, or the answer. */
export type InboxAdmission = (request: Request) => Promise<Request | Response>;

const INBOX_PATH = new RegExp(
  `^(?:${PATHS.sharedInbox}|${PATHS.inbox.replace("{identifier}", "[^/]+")})$`,
);

/**
 * Hands requests to Fedify; what it does not own (or cannot answer in the requested format)
 * falls through to the Hono routes, so pages and ActivityPub can share URLs. Inbox POSTs pass
 * `admitInbox` first (see inbox-gate.ts).
 */
/**
 * Inbox POSTs this process works on at once; past it the next ones get 503 with Retry-After at
 * once (senders retry later), so a flood cannot take the CPU from readers and editors.
 */
export const INBOX_MAX_IN_FLIGHT = 16;

export function federationMiddleware(
  federation: Federation<FederationData>,
  contextData: FederationData,
  admitInbox?: InboxAdmission,
): MiddlewareHandler {
  let inFlight = 0;
  return async (c, next) => {
    const inbox = admitInbox && c.req.method === "POST" && INBOX_PATH.test(c.req.path);
    if (inbox) {
      if (inFlight >= INBOX_MAX_IN_FLIGHT) {
        await c.req.raw.body?.cancel().catch(() => {});
        return problemResponse(problem("unavailable", "The inbox is busy; send it again shortly"), {
          "retry-after": "10",
        });
      }
      inFlight++;
      try {
        const admitted = await admitInbox(c.req.raw);
        if (admitted instanceof Response) return admitted;
        return await handOver(c, next, admitted);
      } catch (error) {
        // A signed activity whose JSON-LD cannot be processed (an @context that cannot be
        // loaded, a malformed term) is the sender's fault: 400 and one line, not a 500 and a stack.
        if (!isJsonLdError(error)) throw error;
        contextData.logger.info("inbox activity refused: invalid JSON-LD", {
          error: (error as Error).message.slice(0, 200),
        });
        return problemResponse(
          problem("malformedJson", "The activity's JSON-LD could not be processed"),
        );
      } finally {
        inFlight--;
      }
    }
    return handOver(c, next, c.req.raw);
  };

  async function handOver(c: Context, next: Next, request: Request): Promise<Response> {
    let fromFedify = true;
    const response = await federation.fetch(request, {
      contextData,
      onNotFound: async () => {
        fromFedify = false;
        await next();
        return c.res;
      },
      onNotAcceptable: async () => {
        fromFedify = false;
        await next();
        if (c.res.status !== 404) return c.res;
        return new Response("Not acceptable", {
          status: 406,
          headers: { "content-type": "text/plain; charset=utf-8", vary: "Accept" },
        });
      },
    });
    // Documents Fedify serves (actors, collections) get the public audience written out.
    return fromFedify && request.method === "GET"
      ? expandPublicAudienceInResponse(response)
      : response;
  }
}

/** jsonld.js names its errors `jsonld.InvalidUrl`, `jsonld.SyntaxError`, … */
function isJsonLdError(error: unknown): boolean {
  return error instanceof Error && error.name.startsWith("jsonld.");
}
