import { z } from "zod";
import { TOKEN_SCOPES } from "../domain/admin-token.ts";

export const tokenInput = z
  .object({
    name: z
      .string()
      .regex(
        /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/,
        "must be 1-64 letters, digits, dots, hyphens or underscores",
      )
      .refine((name) => name !== "ADMIN_TOKEN", "is the configured token's name")
      .describe("what the token is for, e.g. `cms`; names its entries in the audit log"),
    scope: z
      .enum(TOKEN_SCOPES)
      .describe("`publish`: push, update and correct articles; `admin`: everything"),
  })
  .strict();

export const auditQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(200).default(50),
    cursor: z.string().max(2000).optional(),
  })
  .strict();
