import type { Kysely } from "kysely";
import type { FeedChangeAnnouncer, Repositories, TransactionRunner } from "../domain/ports.ts";
import { createArticleRepository } from "./article-repository.ts";
import { createFederationOutbox } from "./federation-outbox.ts";
import { createFeedChangeAnnouncer } from "./feed-change-notifications.ts";
import { createFeedRepository } from "./feed-repository.ts";
import { createLiveUpdateRepository } from "./live-update-repository.ts";
import type { Database } from "./schema.ts";
import { createWebSubChangeQueue } from "./websub-distribution-store.ts";

/**
 * Gives the domain its repositories, bound either to the pool or to one transaction.
 * `origin` names this process in the feed-change notifications it sends. A feed change is
 * announced to other processes and queued for the WebSub subscribers, in the same transaction.
 */
export function createTransactionRunner(db: Kysely<Database>, origin: string): TransactionRunner {
  const repositoriesFor = (executor: Kysely<Database>): Repositories => ({
    articles: createArticleRepository(executor),
    liveUpdates: createLiveUpdateRepository(executor),
    feeds: createFeedRepository(executor),
    feedChanges: bothAnnouncers(
      createFeedChangeAnnouncer(executor, origin),
      createWebSubChangeQueue(executor),
    ),
    outbox: createFederationOutbox(executor),
  });
  return {
    repos: repositoriesFor(db),
    transaction: (work) => db.transaction().execute((trx) => work(repositoriesFor(trx))),
  };
}

function bothAnnouncers(first: FeedChangeAnnouncer, second: FeedChangeAnnouncer) {
  return {
    async announce(slugs: readonly string[]) {
      await first.announce(slugs);
      await second.announce(slugs);
    },
  } satisfies FeedChangeAnnouncer;
}
