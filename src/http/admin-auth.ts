import type { Context, MiddlewareHandler } from "hono";
import {
  CONFIGURED_TOKEN_NAME,
  constantTimeEqual,
  hashToken,
  type Principal,
  scopeAllows,
  type TokenScope,
} from "../domain/admin-token.ts";
import type { Logger } from "../logger.ts";
import type { AdminTokenRepository } from "../storage/admin-token-repository.ts";
import type { AuditLog } from "../storage/audit-log.ts";
import { ProblemError, problem } from "./problem.ts";
import { createRateLimit, type RateLimit, tooManyRequests } from "./rate-limit.ts";

/** What the admin routes know about the request once `adminAuth` let it in. */
export type AdminEnv = { Variables: { principal: Principal } };

export interface AdminAuthOptions {
  /** `ADMIN_TOKEN`: an `admin` token from the configuration (unset: only stored tokens). */
  readonly adminToken: string | undefined;
  /** Stored tokens (`tidings token create`); without them only ADMIN_TOKEN is accepted. */
  readonly tokens?: Pick<AdminTokenRepository, "findLiveByHash"> | undefined;
  /** Where admin writes are recorded; without it nothing is. */
  readonly audit?: AuditLog | undefined;
  /** The address failed attempts are counted against (Node: the socket; Workers: the edge's). */
  readonly clientAddress: (c: Context) => string;
  /** Failed authentications one address may make per minute before it gets 429 (default 10). */
  readonly failuresPerMinute?: number;
  readonly clock: { now(): Date };
  readonly logger: Logger;
}

const WRITES = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/**
 * The admin API's door: a bearer token, either `ADMIN_TOKEN` (scope `admin`) or a stored token
 * (compared as SHA-256 digests, in constant time). Nobody gets in without one: there is no
 * built-in default. An address that keeps failing is slowed: past `failuresPerMinute` it gets
 * 429 with Retry-After, before its token is even looked at. Every successful write is recorded
 * in the audit log with the token's name. Which scope a route needs is declared on the route
 * (`requireScope`), so `adminAuth` only says who is asking.
 */
export function adminAuth(options: AdminAuthOptions): MiddlewareHandler<AdminEnv> {
  const configured = options.adminToken !== undefined;
  const failures: RateLimit = createRateLimit({
    points: options.failuresPerMinute ?? 10,
    windowSeconds: 60,
    blockSeconds: 60,
  });
  const { tokens, audit, logger, clock } = options;

  const identify = tokenIdentifier(options);

  return async (c, next) => {
    const address = options.clientAddress(c);
    const waitMs = await failures.peek(address);
    if (waitMs > 0) {
      return tooManyRequests(waitMs, "Too many failed authentications from this address");
    }
    const header = c.req.header("authorization") ?? "";
    const presented = /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1];
    const principal = presented ? await identify(presented) : undefined;
    if (!principal) {
      await failures.take(address);
      if (!configured && !tokens) {
        throw unauthorized("The admin API is disabled: set ADMIN_TOKEN to enable it");
      }
      const why = presented
        ? "The bearer token is not valid"
        : "Send Authorization: Bearer <token>";
      throw unauthorized(
        configured ? why : `${why} (ADMIN_TOKEN is not set: only stored tokens are accepted)`,
      );
    }
    c.set("principal", principal);
    await next();
    if (!audit || !WRITES.has(c.req.method) || c.res.status >= 400) return;
    const entry = {
      at: clock.now(),
      tokenName: principal.name,
      action: `${c.req.method} ${c.req.routePath}`,
      target: c.res.headers.get("location") ?? c.req.path,
      status: c.res.status,
    };
    try {
      await audit.record(entry);
    } catch (error) {
      // The change is committed: its answer stands, and the missing entry is loud in the log.
      logger.error("admin write not recorded in the audit log", { ...entry, error });
    }
  };
}

/** Who a token names, and which token it is (the desk's sessions remember it). */
export interface IdentifiedToken extends Principal {
  /** The stored token's id; null for ADMIN_TOKEN. */
  readonly tokenId: string | null;
  /** SHA-256 of the token, hex. */
  readonly tokenHash: string;
}

/**
 * Who a presented token is: ADMIN_TOKEN (scope `admin`) or a live stored token, compared as
 * SHA-256 digests in constant time; undefined for anything else.
 */
export function tokenIdentifier(
  options: Pick<AdminAuthOptions, "adminToken" | "tokens">,
): (presented: string) => Promise<IdentifiedToken | undefined> {
  const configured = options.adminToken === undefined ? undefined : hashToken(options.adminToken);
  return async (presented) => {
    const digest = await hashToken(presented);
    if (configured && constantTimeEqual(await configured, digest)) {
      return { name: CONFIGURED_TOKEN_NAME, scope: "admin", tokenId: null, tokenHash: digest };
    }
    const stored = await options.tokens?.findLiveByHash(digest);
    if (stored && constantTimeEqual(stored.tokenHash, digest)) {
      return { name: stored.name, scope: stored.scope, tokenId: stored.id, tokenHash: digest };
    }
    return undefined;
  };
}

/** Marks a route's scope check, so a test can prove every admin route declares one. */
export const SCOPE_CHECK = Symbol("tidings.scope-check");

/**
 * Declares the scope a route needs (403 for a token without it). Every admin route has one:
 * `publish` for pushing, updating and correcting articles, `admin` for everything else.
 */
export function requireScope(scope: TokenScope): MiddlewareHandler<AdminEnv> {
  const check: MiddlewareHandler<AdminEnv> = async (c, next) => {
    const principal = c.get("principal");
    if (!principal || !scopeAllows(principal.scope, scope)) {
      throw new ProblemError(
        problem("forbidden", `This needs a token with the ${scope} scope`, {
          requiredScope: scope,
        }),
      );
    }
    await next();
  };
  return Object.assign(check, { [SCOPE_CHECK]: scope });
}

function unauthorized(detail: string): ProblemError {
  return new ProblemError(problem("unauthorized", detail));
}
