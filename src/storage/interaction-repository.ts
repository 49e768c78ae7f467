import { type ExpressionBuilder, type Kysely, sql } from "kysely";
import { storedReplyHtml } from "../content/reply-html.ts";
import type { Database } from "./schema.ts";

export type InteractionKind = "like" | "announce";

/**
 * Replies readers see: not hidden by an editor, and not from a silenced server or account
 * (suspended ones' replies were removed when they were blocked). The reply's host is read from
 * its actor id, and a domain block covers its subdomains.
 */
export function shownReplies(eb: ExpressionBuilder<Database, "articleReplies">) {
  return eb.and([
    eb("articleReplies.hiddenAt", "is", null),
    eb.not(
      eb.exists(
        eb
          .selectFrom("blocks")
          .select(sql.lit(1).as("one"))
          .where(
            sql<boolean>`(blocks.kind = 'actor' and blocks.target = article_replies.actor_id)
              or (blocks.kind = 'domain' and (
                lower(substring(article_replies.actor_id from '^[a-zA-Z][a-zA-Z0-9+.-]*://([^/:?#]+)'))
                  in (blocks.target)
                or lower(substring(article_replies.actor_id from '^[a-zA-Z][a-zA-Z0-9+.-]*://([^/:?#]+)'))
                  like '%.' || blocks.target))`,
          ),
      ),
    ),
  ]);
}

export interface Reply {
  readonly id: string;
  readonly articleId: string;
  readonly actorId: string;
  readonly url: string | null;
  /** As received when added; sanitised (src/content/reply-html.ts) once stored. */
  readonly contentHtml: string;
  readonly publishedAt: Date;
}

/** Likes, boosts and replies the fediverse sends back about our articles. */
export function createInteractionRepository(db: Kysely<Database>) {
  return {
    /** Idempotent: one like (or boost) per actor per article. */
    async add(
      articleId: string,
      kind: InteractionKind,
      actorId: string,
      activityId: string,
      at: Date,
    ) {
      await db
        .insertInto("articleInteractions")
        .values({ articleId, kind, actorId, activityId, createdAt: at })
        .onConflict((oc) => oc.columns(["articleId", "kind", "actorId"]).doNothing())
        .execute();
    },

    async remove(articleId: string, kind: InteractionKind, actorId: string) {
      await db
        .deleteFrom("articleInteractions")
        .where("articleId", "=", articleId)
        .where("kind", "=", kind)
        .where("actorId", "=", actorId)
        .execute();
    },

    /** Quotes count approved ones (FEP-044f authorizations) not revoked since. */
    async counts(
      articleId: string,
    ): Promise<{ likes: number; boosts: number; replies: number; quotes: number }> {
      const row = await db
        .selectNoFrom((eb) => [
          eb
            .selectFrom("articleInteractions")
            .select(eb.fn.countAll<string>().as("n"))
            .where("articleId", "=", articleId)
            .where("kind", "=", "like")
            .as("likes"),
          eb
            .selectFrom("articleInteractions")
            .select(eb.fn.countAll<string>().as("n"))
            .where("articleId", "=", articleId)
            .where("kind", "=", "announce")
            .as("boosts"),
          eb
            .selectFrom("articleReplies")
            .select(eb.fn.countAll<string>().as("n"))
            .where("articleId", "=", articleId)
            .where(shownReplies)
            .as("replies"),
          eb
            .selectFrom("quoteAuthorizations")
            .select(eb.fn.countAll<string>().as("n"))
            .where("articleId", "=", articleId)
            .where("revokedAt", "is", null)
            .as("quotes"),
        ])
        .executeTakeFirstOrThrow();
      return {
        likes: Number(row.likes),
        boosts: Number(row.boosts),
        replies: Number(row.replies),
        quotes: Number(row.quotes),
      };
    },

    /**
     * Stores a reply as received; its HTML is sanitised here, once (see storedReplyHtml), so no
     * path can store a stranger's markup that pages would then show as it is.
     */
    async addReply(reply: Reply, at: Date) {
      const contentHtml = storedReplyHtml(reply.contentHtml, reply.url ?? reply.id);
      await db
        .insertInto("articleReplies")
        .values({ ...reply, contentHtml, createdAt: at })
        .onConflict((oc) => oc.column("id").doNothing())
        .execute();
    },

    /** Only the reply's author may remove it. */
    async removeReply(id: string, actorId: string): Promise<boolean> {
      const result = await db
        .deleteFrom("articleReplies")
        .where("id", "=", id)
        .where("actorId", "=", actorId)
        .executeTakeFirst();
      return result.numDeletedRows > 0n;
    },

    async replies(articleId: string): Promise<Reply[]> {
      const rows = await db
        .selectFrom("articleReplies")
        .select(["id", "articleId", "actorId", "url", "contentHtml", "publishedAt"])
        .where("articleId", "=", articleId)
        .where(shownReplies)
        .orderBy("publishedAt")
        .execute();
      return rows.map((row) => ({ ...row, publishedAt: new Date(row.publishedAt) }));
    },
  };
}

export type InteractionRepository = ReturnType<typeof createInteractionRepository>;
