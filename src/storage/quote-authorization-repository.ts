import type { Kysely, Selectable } from "kysely";
import { uuidv7 } from "../domain/ids.ts";
import type { NewQuoteAuthorization, QuoteAuthorization } from "../domain/quotes.ts";
import type { Database, QuoteAuthorizationsTable } from "./schema.ts";

/** The quotes of our posts that we approved (FEP-044f), and their revocation. */
export function createQuoteAuthorizationRepository(db: Kysely<Database>) {
  return {
    /**
     * Keeps the authorization and, in the same transaction, the outbox entry that delivers its
     * Accept: either both commit or neither. A repeated request for the same quoting post gets
     * the same authorization (and the same Accept again); one already revoked, or the same post
     * claimed by another actor, gets none (undefined).
     */
    async grant(quote: NewQuoteAuthorization, at: Date): Promise<QuoteAuthorization | undefined> {
      return db.transaction().execute(async (trx) => {
        const row = await trx
          .insertInto("quoteAuthorizations")
          .values({ id: uuidv7(at), ...quote, createdAt: at, revokedAt: null })
          .onConflict((oc) =>
            oc
              .columns(["targetUri", "quotingObject"])
              .doUpdateSet({ requestId: quote.requestId, quotingInbox: quote.quotingInbox })
              .where("quoteAuthorizations.quotingActor", "=", quote.quotingActor)
              .where("quoteAuthorizations.revokedAt", "is", null),
          )
          .returningAll()
          .executeTakeFirst();
        if (!row) return undefined;
        await trx
          .insertInto("federationOutbox")
          .values({
            kind: "create",
            feedSlug: row.feedSlug,
            articleId: row.articleId,
            liveUpdateId: null,
            revision: null,
            quoteAuthorizationId: row.id,
            availableAt: at,
            createdAt: at,
          })
          .execute();
        return toQuoteAuthorization(row);
      });
    },

    async find(id: string): Promise<QuoteAuthorization | undefined> {
      const row = await db
        .selectFrom("quoteAuthorizations")
        .selectAll()
        .where("id", "=", id)
        .executeTakeFirst();
      return row ? toQuoteAuthorization(row) : undefined;
    },

    /**
     * Revokes every quote of the article's post (and its updates) in one feed: the article was
     * deleted or left the feed. Returns all of them, those revoked before too, so a relay that
     * retries after a crash sends the same Deletes again rather than none.
     */
    async revokeInFeed(articleId: string, feedSlug: string, at: Date) {
      const rows = await db
        .updateTable("quoteAuthorizations")
        .set((eb) => ({ revokedAt: eb.fn.coalesce("revokedAt", eb.val(at)) }))
        .where("articleId", "=", articleId)
        .where("feedSlug", "=", feedSlug)
        .returningAll()
        .execute();
      return rows.map(toQuoteAuthorization);
    },

    /** Revokes the quotes of one of our posts (a live update was deleted); returns them all. */
    async revokeOfTarget(targetUri: string, at: Date) {
      const rows = await db
        .updateTable("quoteAuthorizations")
        .set((eb) => ({ revokedAt: eb.fn.coalesce("revokedAt", eb.val(at)) }))
        .where("targetUri", "=", targetUri)
        .returningAll()
        .execute();
      return rows.map(toQuoteAuthorization);
    },

    /** Their quoting post is gone (Delete by its author): the authorization goes with it. */
    async revokeByQuotingObject(quotingObject: string, quotingActor: string, at: Date) {
      const result = await db
        .updateTable("quoteAuthorizations")
        .set({ revokedAt: at })
        .where("quotingObject", "=", quotingObject)
        .where("quotingActor", "=", quotingActor)
        .where("revokedAt", "is", null)
        .returning("articleId")
        .execute();
      return result.map((row) => row.articleId);
    },
  };
}

export type QuoteAuthorizationRepository = ReturnType<typeof createQuoteAuthorizationRepository>;

function toQuoteAuthorization(row: Selectable<QuoteAuthorizationsTable>): QuoteAuthorization {
  return {
    id: row.id,
    articleId: row.articleId,
    feedSlug: row.feedSlug,
    targetUri: row.targetUri,
    quotingObject: row.quotingObject,
    quotingActor: row.quotingActor,
    quotingInbox: row.quotingInbox,
    requestId: row.requestId,
    createdAt: new Date(row.createdAt),
    revokedAt: row.revokedAt ? new Date(row.revokedAt) : null,
  };
}
