import pg from "pg";
import { outageRetryDelayMs, warnDatabaseError } from "./database-unavailable.ts";
import type { Logger } from "./logger.ts";

export interface ListenOptions {
  /** pg client options of the dedicated connection (`{ connectionString, … }`). */
  readonly connection: pg.ClientConfig;
  readonly channel: string;
  /** Names the listener in log lines. */
  readonly name: string;
  readonly logger: Logger;
  readonly onNotification: (payload: string) => void;
  /**
   * Called once listening again after a lost connection or a failed attempt: notifications sent
   * meanwhile were missed, so the caller catches up by other means.
   */
  readonly onReconnect: () => void;
  /**
   * Runs on the connection after each LISTEN, before it counts as connected (e.g. to take a
   * session advisory lock that lives exactly as long as the connection does).
   */
  readonly onConnected?: (client: pg.Client) => Promise<void>;
}

export interface ListenConnection {
  /** Settles after the first attempt: true if it is listening (and `onConnected` ran). */
  readonly firstAttempt: Promise<boolean>;
  close(): Promise<void>;
}

/**
 * LISTENs on `channel` over a dedicated connection (a pooled one would be handed to others).
 * The connection is re-established for as long as it takes after PostgreSQL closes it (a
 * restart, a failover, a terminated backend): 0.5 s after the loss, then backing off to every 5 s.
 */
export function listenOnChannel(options: ListenOptions): ListenConnection {
  const { connection, channel, name, logger, onNotification, onReconnect, onConnected } = options;
  let client: pg.Client | undefined;
  let closed = false;
  let failures = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let connecting: Promise<void> = Promise.resolve();

  const retryLater = () => {
    failures++;
    const delayMs = outageRetryDelayMs(failures, 500);
    timer = setTimeout(() => {
      timer = undefined;
      connecting = connect();
    }, delayMs);
    timer.unref?.();
    return delayMs / 1000;
  };

  const connect = async (): Promise<void> => {
    if (closed) return;
    const next = new pg.Client(connection);
    next.on("notification", (message) => {
      if (message.channel === channel && message.payload) onNotification(message.payload);
    });
    next.on("error", (error) => {
      // Failures while connecting reject below; here, only the loss of the live connection.
      if (client !== next || closed) return;
      client = undefined;
      next.end().catch(() => {});
      const seconds = retryLater();
      warnDatabaseError(
        logger,
        `${name}: LISTEN connection lost; reconnecting in ${seconds} s`,
        error,
      );
    });
    try {
      await next.connect();
      await next.query(`LISTEN ${channel}`);
      await onConnected?.(next);
    } catch (error) {
      await next.end().catch(() => {});
      if (closed) return;
      const seconds = retryLater();
      warnDatabaseError(logger, `${name}: could not LISTEN; retrying in ${seconds} s`, error);
      return;
    }
    if (closed) {
      await next.end().catch(() => {});
      return;
    }
    client = next;
    if (failures > 0) {
      failures = 0;
      logger.info(`${name}: listening again`);
      onReconnect();
    }
  };

  connecting = connect();
  const firstAttempt = connecting.then(() => client !== undefined);
  return {
    firstAttempt,
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      await connecting;
      await client?.end().catch(() => {});
      client = undefined;
    },
  };
}
