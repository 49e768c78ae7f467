import { z } from "zod";
import { BLOCK_SEVERITIES } from "../domain/blocks.ts";
import { optionalPlainText } from "./common.ts";

/** `POST /admin/blocks`: a server (`domain`) or one account (`actor`: its id or `@user@host`). */
export const blockInput = z
  .object({
    domain: z
      .string()
      .max(253)
      .optional()
      .describe("a server, e.g. `spam.example`; covers subdomains"),
    actor: z
      .string()
      .max(2048)
      .optional()
      .describe("an account: its actor id (`https://host/users/name`) or handle (`@name@host`)"),
    severity: z
      .enum(BLOCK_SEVERITIES)
      .default("suspend")
      .describe("`suspend` cuts it off; `silence` keeps its replies off pages and counts"),
    rejectReports: z.boolean().default(false).describe("drop its Flag reports"),
    comment: optionalPlainText(1000).optional().describe("why, for the other editors"),
  })
  .strict()
  .refine((input) => (input.domain === undefined) !== (input.actor === undefined), {
    message: "give either domain or actor",
    path: ["domain"],
  });

export const blockListQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(500).default(100),
    cursor: z.string().max(2000).optional(),
    target: z.string().max(2048).optional(),
  })
  .strict();
