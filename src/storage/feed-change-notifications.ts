import { type Kysely, sql } from "kysely";
import type { FeedChangeAnnouncer } from "../domain/ports.ts";
import { listenOnChannel } from "../fedify-kysely/index.ts";
import type { Logger } from "../logger.ts";
import { connectionOptions } from "./database.ts";
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
 * connection it reconnects (see listenOnChannel) and reports `"all"`, since changes may have
 * been missed.
 */
export function listenForFeedChanges(options: {
  databaseUrl: string;
  origin: string;
  logger: Logger;
  onChange: (slugs: readonly string[] | "all") => void;
}): FeedChangeListener {
  const { databaseUrl, origin, logger, onChange } = options;
  return listenOnChannel({
    connection: connectionOptions(databaseUrl),
    channel: FEED_CHANGES_CHANNEL,
    name: "feed-change listener",
    logger,
    onNotification: (text) => {
      try {
        const payload = JSON.parse(text) as Payload;
        if (payload.origin !== origin) onChange(payload.slugs);
      } catch {
        logger.warn("ignored a malformed feed-change notification", { payload: text });
      }
    },
    onReconnect: () => onChange("all"),
  });
}
