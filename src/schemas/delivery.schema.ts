import { z } from "zod";

/** Paging shared by the delivery record's listings. */
const paging = {
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(2000).optional(),
};

/** `GET /admin/articles/{id}/deliveries`: one publish per remote server. */
export const articleDeliveriesQuery = z
  .object({
    ...paging,
    revision: z.coerce.number().int().min(1).optional(),
    state: z.enum(["delivered", "failed", "pending"]).optional(),
  })
  .strict();

/** `GET /admin/servers`: remote servers; `failing=1` only those failing now. */
export const remoteServersQuery = z
  .object({
    ...paging,
    failing: z
      .enum(["1", "0", "true", "false"], { error: "is 1 or 0" })
      .transform((value) => value === "1" || value === "true")
      .optional(),
  })
  .strict();
