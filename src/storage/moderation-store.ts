import type { Kysely } from "kysely";
import type { DomainBlockRow } from "../content/domain-block-csv.ts";
import type { Block, BlockEffects, NewBlock } from "../domain/blocks.ts";
import { uuidv7 } from "../domain/ids.ts";
import { createBlockRepository } from "./block-repository.ts";
import { createReportRepository } from "./report-repository.ts";
import type { Database } from "./schema.ts";

const NO_EFFECTS: BlockEffects = { followersRemoved: 0, interactionsRemoved: 0, repliesRemoved: 0 };

function add(a: BlockEffects, b: BlockEffects): BlockEffects {
  return {
    followersRemoved: a.followersRemoved + b.followersRemoved,
    interactionsRemoved: a.interactionsRemoved + b.interactionsRemoved,
    repliesRemoved: a.repliesRemoved + b.repliesRemoved,
  };
}

export interface HiddenReply {
  readonly reply: {
    readonly id: string;
    readonly articleId: string;
    readonly actorId: string;
    readonly url: string | null;
    readonly hiddenAt: Date | null;
  };
  readonly block: { readonly block: Block; readonly effects: BlockEffects } | null;
}

export interface ImportSummary {
  readonly created: number;
  readonly updated: number;
  /** `noop` lines: Mastodon's "no restriction", nothing to block. */
  readonly skipped: number;
  readonly effects: BlockEffects;
}

/**
 * The moderation writes, each one transaction: a block commits together with what it removes
 * (a suspension's followers, likes, boosts and replies), and an imported file all or nothing.
 */
export function createModerationStore(db: Kysely<Database>) {
  const saveWithEffects = async (trx: Kysely<Database>, block: NewBlock, at: Date) => {
    const blocks = createBlockRepository(trx);
    const saved = await blocks.save({ ...block, id: uuidv7(at) }, at);
    const effects = block.severity === "suspend" ? await blocks.removeEffectsOf(block) : NO_EFFECTS;
    return { ...saved, effects };
  };

  return {
    blocks: createBlockRepository(db),
    reports: createReportRepository(db),

    block(
      block: NewBlock,
      at: Date,
    ): Promise<{ block: Block; created: boolean; effects: BlockEffects }> {
      return db.transaction().execute((trx) => saveWithEffects(trx, block, at));
    },

    importDomainBlocks(rows: readonly DomainBlockRow[], at: Date): Promise<ImportSummary> {
      return db.transaction().execute(async (trx) => {
        let summary: ImportSummary = { created: 0, updated: 0, skipped: 0, effects: NO_EFFECTS };
        for (const row of rows) {
          if (row.severity === "noop") {
            summary = { ...summary, skipped: summary.skipped + 1 };
            continue;
          }
          const saved = await saveWithEffects(
            trx,
            {
              kind: "domain",
              target: row.domain,
              severity: row.severity,
              rejectReports: row.rejectReports,
              comment: row.comment,
            },
            at,
          );
          summary = {
            ...summary,
            created: summary.created + (saved.created ? 1 : 0),
            updated: summary.updated + (saved.created ? 0 : 1),
            effects: add(summary.effects, saved.effects),
          };
        }
        return summary;
      });
    },

    /**
     * Hides (or shows again) a reply; with `blockAuthor`, its author is suspended in the same
     * transaction (which removes all their replies, likes and boosts, and their follows).
     */
    hideReply(
      id: string,
      change: { hidden: boolean; blockAuthor: boolean; comment: string | null },
      at: Date,
    ): Promise<HiddenReply | undefined> {
      return db.transaction().execute(async (trx) => {
        const reply = await trx
          .updateTable("articleReplies")
          .set({ hiddenAt: change.hidden ? at : null })
          .where("id", "=", id)
          .returning(["id", "articleId", "actorId", "url", "hiddenAt"])
          .executeTakeFirst();
        if (!reply) return undefined;
        const shown = {
          ...reply,
          hiddenAt: reply.hiddenAt === null ? null : new Date(reply.hiddenAt),
        };
        if (!change.blockAuthor) return { reply: shown, block: null };
        const blocked = await saveWithEffects(
          trx,
          {
            kind: "actor",
            target: reply.actorId,
            severity: "suspend",
            rejectReports: false,
            comment: change.comment,
          },
          at,
        );
        return { reply: shown, block: blocked };
      });
    },

    unblock(idOrTarget: string): Promise<Block | undefined> {
      return createBlockRepository(db).remove(idOrTarget);
    },
  };
}

export type ModerationStore = ReturnType<typeof createModerationStore>;
