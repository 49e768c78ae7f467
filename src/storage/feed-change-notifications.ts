import { type Kysely, sql } from "kysely";
import pg from "pg";
import type { FeedChangeAnnouncer } from "../domain/ports.ts";
import type { Logger } from "../logger.ts";
import type { Database } from "./schema.ts";

/** The PostgreSQL channel that carries "these feeds changed" between processes. */
export const FEED_CHANGES_CHANNEL = "tidings_feed_changes";

interface Payload {
  /** The process that made the change (it has already refreshed its own cache). */
  readonly origin: string;
  readonly slugs: readonly string[];
}

/** NOTIFY inside the caller's transaction: PostgreSQL delivers it on commit, never on rollback. */
export function createFeedChangeAnnouncer(
  db: Kysely<Database>,
  origin: string,
): FeedChangeAnnouncer {
  return {
    async announce(slugs) {
      if (slugs.length === 0) return;
      const payload: Payload = { origin, slugs: [...new Set(slugs)] };
      await sql`select pg_notify(${FEED_CHANGES_CHANNEL}, ${JSON.stringify(payload)})`.execute(db);
    },
  };
}

export interface FeedChangeListener {
  close(): Promise<void>;
}

/**
 * LISTENs on a dedicated connection and reports other processes' feed changes. After a lost
 * connection it reconnects with backoff and reports `"all"`, since changes may have been missed.
 */
export function listenForFeedChanges(options: {
  databaseUrl: string;
  origin: string;
  logger: Logger;
  onChange: (slugs: readonly string[] | "all") => void;
}): FeedChangeListener {
  const { databaseUrl, origin, logger, onChange } = options;
  let client: pg.Client | undefined;
  let closed = false;
  let attempt = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const connect = async () => {
    if (closed) return;
    const next = new pg.Client({ connectionString: databaseUrl });
    next.on("notification", (message) => {
      if (message.channel !== FEED_CHANGES_CHANNEL || !message.payload) return;
      try {
        const payload = JSON.parse(message.payload) as Payload;
        if (payload.origin !== origin) onChange(payload.slugs);
      } catch {
        logger.warn("ignored a malformed feed-change notification", { payload: message.payload });
      }
    });
    next.on("error", (error) => {
      logger.warn("feed-change listener lost its connection; reconnecting", { error });
      retry();
    });
    try {
      await next.connect();
      await next.query(`LISTEN ${FEED_CHANGES_CHANNEL}`);
      client = next;
      if (attempt > 0) onChange("all");
      attempt = 0;
    } catch (error) {
      logger.warn("feed-change listener could not connect; retrying", { error });
      await next.end().catch(() => {});
      retry();
    }
  };

  const retry = () => {
    if (closed || timer) return;
    const failed = client;
    client = undefined;
    failed?.end().catch(() => {});
    attempt++;
    timer = setTimeout(
      () => {
        timer = undefined;
        void connect();
      },
      Math.min(30_000, 250 * 2 ** attempt),
    );
    timer.unref?.();
  };

  void connect();
  return {
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      await client?.end().catch(() => {});
    },
  };
}
