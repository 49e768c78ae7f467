import type { Clock } from "../domain/ports.ts";
import type { Logger } from "../logger.ts";
import type { Db } from "../storage/database.ts";
import type { AddressGuard } from "./address-guard.ts";
import type { FeedKeyStore } from "./keys.ts";

/** What every dispatcher and listener gets from the runtime that built the federation. */
export interface FederationData {
  readonly db: Db;
  readonly publicUrl: string;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly keys: FeedKeyStore;
  /** Whether a URL is a public destination (followers' inboxes). */
  readonly addressGuard: AddressGuard;
  /** Called after an inbox activity changed what readers see (counts, replies). */
  readonly onInteraction?: (articleId: string) => void;
}
