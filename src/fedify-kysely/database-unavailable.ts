import type { Logger } from "./logger.ts";

/**
 * Recognises the errors that mean "PostgreSQL cannot be reached right now" (a restart, a failover,
 * a terminated backend, a proxy dropping idle connections) as opposed to a bug or a bad query.
 * Those are answered with 503 and retried in the background instead of being reported as faults.
 */

/** Socket and DNS failures: nobody answered, or the connection broke. */
const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "ETIMEDOUT",
  "EPIPE",
  "EHOSTUNREACH",
  "EHOSTDOWN",
  "ENETUNREACH",
  "ENETDOWN",
  // A name that does not resolve yet: a database container that is not up (Docker's DNS only
  // knows running containers).
  "ENOTFOUND",
  "EAI_AGAIN",
]);

/**
 * SQLSTATEs besides class 08 (connection exception): the server is shutting down or restarting
 * (57P01 admin_shutdown, 57P02 crash_shutdown, 57P03 cannot_connect_now) or full (53300
 * too_many_connections); each passes by itself.
 */
const SQLSTATES = new Set(["57P01", "57P02", "57P03", "53300"]);

/** What node-postgres and its pool say when a connection is lost or cannot be had in time. */
const DRIVER_MESSAGES = new Set([
  "Connection terminated unexpectedly",
  "Connection terminated due to connection timeout",
  "timeout exceeded when trying to connect",
  // A Client's own connectionTimeoutMillis running out (the pool wraps it in the one above).
  "timeout expired",
  "Client has encountered a connection error and is not queryable",
  "Query read timeout",
]);

/** True when `error` (or what caused it) says the database is unreachable, not that it failed. */
export function isDatabaseUnavailable(error: unknown): boolean {
  return unavailableReason(error) !== undefined;
}

/**
 * A short reason for a log line, e.g. `ECONNREFUSED` or `57P01 terminating connection due to
 * administrator command`; undefined when the error is not an unavailable database.
 */
export function unavailableReason(error: unknown, depth = 0): string | undefined {
  if (typeof error !== "object" || error === null || depth > 4) return undefined;
  const { code, message, cause, errors } = error as {
    code?: unknown;
    message?: unknown;
    cause?: unknown;
    errors?: unknown;
  };
  if (typeof code === "string") {
    if (NETWORK_CODES.has(code)) return code;
    if (SQLSTATES.has(code) || /^08[0-9A-Z]{3}$/.test(code)) return `${code} ${String(message)}`;
  }
  if (typeof message === "string" && DRIVER_MESSAGES.has(message)) {
    const underlying = unavailableReason(cause, depth + 1);
    return underlying ? `${message}: ${underlying}` : message;
  }
  // Connecting to a name with several addresses fails with an AggregateError of each attempt.
  if (Array.isArray(errors)) {
    for (const inner of errors) {
      const reason = unavailableReason(inner, depth + 1);
      if (reason) return reason;
    }
  }
  return unavailableReason(cause, depth + 1);
}

/**
 * Logs a failed database operation: while the database is unreachable, one line with the reason
 * and no stack (the same outage would otherwise fill the log with identical traces); any other
 * error in full.
 */
export function warnDatabaseError(logger: Logger, message: string, error: unknown): void {
  const reason = unavailableReason(error);
  if (reason) logger.warn(`${message}: database unavailable (${reason})`);
  else logger.warn(message, { error });
}

/** Retry delays while the database is unreachable: `baseMs` doubled per failure, capped. */
export function outageRetryDelayMs(failures: number, baseMs = 1_000): number {
  return Math.max(baseMs, Math.min(MAX_OUTAGE_RETRY_MS, baseMs * 2 ** Math.max(0, failures - 1)));
}

/**
 * The longest pause between retries during an outage: PostgreSQL is back in seconds after a
 * restart or failover, and an attempt against a closed port costs next to nothing.
 */
export const MAX_OUTAGE_RETRY_MS = 5_000;
