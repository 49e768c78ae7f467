import type { Kysely } from "kysely";
import type { Repositories, TransactionRunner } from "../domain/ports.ts";
import { createArticleRepository } from "./article-repository.ts";
import { createFederationOutbox } from "./federation-outbox.ts";
import { createFeedChangeAnnouncer } from "./feed-change-notifications.ts";
import { createFeedRepository } from "./feed-repository.ts";
import { createLiveUpdateRepository } from "./live-update-repository.ts";
import type { Database } from "./schema.ts";

/**
 * Gives the domain its repositories, bound either to the pool or to one transaction.
 * `origin` names this process in the feed-change notifications it sends.
 */
export function createTransactionRunner(db: Kysely<Database>, origin: string): TransactionRunner {
  const repositoriesFor = (executor: Kysely<Database>): Repositories => ({
    articles: createArticleRepository(executor),
    liveUpdates: createLiveUpdateRepository(executor),
    feeds: createFeedRepository(executor),
    feedChanges: createFeedChangeAnnouncer(executor, origin),
    outbox: createFederationOutbox(executor),
  });
  return {
    repos: repositoriesFor(db),
    transaction: (work) => db.transaction().execute((trx) => work(repositoriesFor(trx))),
  };
}
