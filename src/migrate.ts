import { createLogger } from "./logger.ts";
import { openDatabase, readConfigOrExit } from "./node-setup.ts";

/** `npm run db:migrate`: applies pending migrations to the configured database and exits. */
const config = readConfigOrExit();
const db = await openDatabase(config, createLogger(config.logLevel));
await db.destroy();
