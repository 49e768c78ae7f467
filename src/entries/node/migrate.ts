import { createLogger } from "../../logger.ts";
import { loadFeeds, openDatabase, readConfigOrExit } from "./setup.ts";

/**
 * `npm run db:migrate`: applies pending migrations to the configured database, syncs the feed
 * definitions from FEEDS_DIR (as `npm start` does at start-up) and exits. A Worker deployment has
 * no filesystem to read `feeds/` from, so this is how its feeds get into PostgreSQL.
 */
const config = readConfigOrExit();
const logger = createLogger(config.logLevel);
// Without a signal to end it, the wait for the database only ends when the database answers.
const db = await openDatabase(config, logger);
if (db) {
  await loadFeeds(config, db, logger);
  await db.destroy();
}
