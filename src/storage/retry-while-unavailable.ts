import type { Logger } from "../logger.ts";
import { outageRetryDelayMs, unavailableReason } from "./database-unavailable.ts";

export type RetryOutcome<T> = { readonly ok: true; readonly value: T } | { readonly ok: false };

/**
 * Runs `attempt` until it succeeds, waiting with backoff (1 s, 2 s, 4 s, then every 5 s) while
 * the database is unreachable: a process started before its database (a reboot, a compose file
 * with no ordering) waits for it, for as long as it takes; its supervisor decides when that is
 * too long. Any other error is thrown. `{ ok: false }` once `signal` aborts (SIGTERM).
 */
export async function retryWhileUnavailable<T>(
  attempt: () => Promise<T>,
  options: { readonly address: string; readonly logger: Logger; readonly signal?: AbortSignal },
): Promise<RetryOutcome<T>> {
  const { address, logger, signal } = options;
  for (let failures = 1; !signal?.aborted; failures++) {
    try {
      return { ok: true, value: await attempt() };
    } catch (error) {
      const reason = unavailableReason(error);
      if (!reason) throw error;
      const delayMs = outageRetryDelayMs(failures);
      logger.warn(
        `database not reachable at ${address} (${reason}); retrying in ${delayMs / 1000} s`,
      );
      await sleep(delayMs, signal);
    }
  }
  return { ok: false };
}

/** `host:port` of a PostgreSQL URL, for log lines (never the credentials). */
export function databaseAddress(databaseUrl: string): string {
  try {
    const url = new URL(databaseUrl);
    const host = url.hostname || url.searchParams.get("host") || "localhost";
    return `${host}:${url.port || "5432"}`;
  } catch {
    return "(unparsable DATABASE_URL)";
  }
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}
