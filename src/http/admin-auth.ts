import type { MiddlewareHandler } from "hono";
import { ProblemError, problem } from "./problem.ts";

const encoder = new TextEncoder();

/**
 * Bearer-token guard for the admin API. Without a configured token nobody gets in: there is no
 * built-in default. Tokens are compared as SHA-256 digests in constant time, so neither length
 * nor content leaks through timing.
 */
export function adminAuth(adminToken: string | undefined): MiddlewareHandler {
  const expected = adminToken === undefined ? undefined : digest(adminToken);
  return async (c, next) => {
    if (expected === undefined) {
      throw unauthorized("The admin API is disabled: set ADMIN_TOKEN to enable it");
    }
    const header = c.req.header("authorization") ?? "";
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match?.[1]) throw unauthorized("Send Authorization: Bearer <ADMIN_TOKEN>");
    if (!constantTimeEqual(await expected, await digest(match[1]))) {
      throw unauthorized("The bearer token is not valid");
    }
    await next();
  };
}

function unauthorized(detail: string): ProblemError {
  return new ProblemError(problem("unauthorized", detail));
}

async function digest(text: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(text)));
}

function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= (a[i] ?? 0) ^ (b[i] ?? 0);
  return difference === 0;
}
