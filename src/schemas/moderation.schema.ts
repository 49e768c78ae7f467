import { z } from "zod";
import { optionalPlainText } from "./common.ts";

export const reportListQuery = z
  .object({
    status: z.enum(["open", "resolved", "all"]).default("open"),
    limit: z.coerce.number().int().min(1).max(200).default(50),
    cursor: z.string().max(2000).optional(),
  })
  .strict();

export const reportPatch = z
  .object({
    status: z
      .enum(["open", "resolved"])
      .describe("`resolved` closes the report; `open` reopens it"),
    note: optionalPlainText(2000).optional().describe("what was done, for the other editors"),
  })
  .strict();

export const replyPatch = z
  .object({
    hidden: z.boolean().describe("`true` takes the reply off the article's page and its count"),
    blockAuthor: z
      .boolean()
      .default(false)
      .describe("also suspend the reply's author (removes all their replies, likes and boosts)"),
    comment: optionalPlainText(1000).optional().describe("why, kept with the block"),
  })
  .strict();
