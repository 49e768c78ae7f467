import { type ExpressionBuilder, type Kysely, sql } from "kysely";
import type { Block, BlockEffects, NewBlock } from "../domain/blocks.ts";
import { decodeKeyset } from "../domain/cursor.ts";
import { type KeysetPageResult, keysetPage } from "./keyset-page.ts";
import type { Database } from "./schema.ts";

const COLUMNS = [
  "id",
  "kind",
  "target",
  "severity",
  "rejectReports",
  "comment",
  "createdAt",
] as const;

const toBlock = (row: Block): Block => ({ ...row, createdAt: new Date(row.createdAt) });

/** LIKE patterns for URLs on `domain` or its subdomains, any scheme, any port. */
function urlPatterns(domain: string): string[] {
  const d = domain.replace(/[\\%_]/g, (char) => `\\${char}`);
  return [`%://${d}`, `%://${d}/%`, `%://${d}:%`, `%://%.${d}`, `%://%.${d}/%`, `%://%.${d}:%`];
}

/** Rows whose URL `column` is on the blocked domain, or is the blocked actor. */
function covers<T extends keyof Database>(block: Pick<Block, "kind" | "target">, column: string) {
  return (eb: ExpressionBuilder<Database, T>) =>
    block.kind === "actor"
      ? eb(sql.ref(column), "=", block.target)
      : eb.or(urlPatterns(block.target).map((p) => eb(sql.ref(column), "like", p)));
}

/**
 * Blocks and what they remove. `save` and `remove` run in the caller's transaction (see
 * createModerationStore), so a block and its effects commit together.
 */
export function createBlockRepository(db: Kysely<Database>) {
  return {
    /** Inserts or replaces the block on `target`; true when it was new. */
    async save(
      block: NewBlock & { id: string },
      at: Date,
    ): Promise<{ block: Block; created: boolean }> {
      const existing = await db
        .selectFrom("blocks")
        .select("id")
        .where("target", "=", block.target)
        .executeTakeFirst();
      const row = await db
        .insertInto("blocks")
        .values({ ...block, createdAt: at })
        .onConflict((oc) =>
          oc.column("target").doUpdateSet({
            severity: block.severity,
            rejectReports: block.rejectReports,
            comment: block.comment,
          }),
        )
        .returning(COLUMNS)
        .executeTakeFirstOrThrow();
      return { block: toBlock(row), created: !existing };
    },

    /**
     * What a suspension removes: followers on the server (or the actor), its likes, boosts and
     * replies. Nothing of it comes back if the block is lifted.
     */
    async removeEffectsOf(block: Pick<Block, "kind" | "target">): Promise<BlockEffects> {
      const followers = await db
        .deleteFrom("followers")
        .where((eb) =>
          block.kind === "actor"
            ? eb("actorId", "=", block.target)
            : eb.or([
                covers<"followers">(block, "actor_id")(eb),
                covers<"followers">(block, "inbox_url")(eb),
                covers<"followers">(block, "shared_inbox_url")(eb),
              ]),
        )
        .executeTakeFirst();
      const interactions = await db
        .deleteFrom("articleInteractions")
        .where(covers<"articleInteractions">(block, "actor_id"))
        .executeTakeFirst();
      const replies = await db
        .deleteFrom("articleReplies")
        .where(covers<"articleReplies">(block, "actor_id"))
        .executeTakeFirst();
      // Their quotes too (an interaction like a boost): the authorizations answer 410 from now.
      const quotes = await db
        .updateTable("quoteAuthorizations")
        .set({ revokedAt: sql<Date>`now()` })
        .where(covers<"quoteAuthorizations">(block, "quoting_actor"))
        .where("revokedAt", "is", null)
        .executeTakeFirst();
      return {
        followersRemoved: Number(followers.numDeletedRows),
        interactionsRemoved: Number(interactions.numDeletedRows) + Number(quotes.numUpdatedRows),
        repliesRemoved: Number(replies.numDeletedRows),
      };
    },

    async remove(idOrTarget: string): Promise<Block | undefined> {
      const byId = /^[0-9a-f]{8}-[0-9a-f-]{27}$/i.test(idOrTarget);
      const row = await db
        .deleteFrom("blocks")
        .where(byId ? "id" : "target", "=", idOrTarget)
        .returning(COLUMNS)
        .executeTakeFirst();
      return row && toBlock(row);
    },

    /** Every block, for the in-memory set every inbox POST and delivery is checked against. */
    async all(): Promise<Block[]> {
      return (await db.selectFrom("blocks").select(COLUMNS).execute()).map(toBlock);
    },

    /** A page of blocks, newest first; `target` filters to one. */
    async page(
      limit: number,
      cursor: string | undefined,
      target?: string,
    ): Promise<KeysetPageResult<Block>> {
      const after = cursor === undefined ? null : decodeKeyset(cursor);
      if (after === undefined) return { ok: false, error: "invalid-cursor" };
      let query = db.selectFrom("blocks").select(COLUMNS);
      if (target !== undefined) query = query.where("target", "=", target);
      if (after !== null) {
        query = query.where((eb) =>
          eb.or([
            eb("createdAt", "<", after.at),
            eb.and([eb("createdAt", "=", after.at), eb("id", "<", after.key)]),
          ]),
        );
      }
      const rows = await query
        .orderBy("createdAt", "desc")
        .orderBy("id", "desc")
        .limit(limit + 1)
        .execute();
      return keysetPage(rows.map(toBlock), limit, (b) => ({ at: b.createdAt, key: b.id }));
    },
  };
}

export type BlockRepository = ReturnType<typeof createBlockRepository>;
