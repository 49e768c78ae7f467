/**
 * "The database is unreachable", as the app's storage means it: the same classification the
 * Fedify storage module uses for its queue and LISTEN connections, so both agree on an outage.
 */
export {
  isDatabaseUnavailable,
  outageRetryDelayMs,
  unavailableReason,
  warnDatabaseError,
} from "../fedify-kysely/index.ts";
