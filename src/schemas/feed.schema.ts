import { z } from "zod";
import { FEED_SLUG_PATTERN } from "../domain/feed.ts";
import { absoluteHttpUrl, languageTag, plainText } from "./common.ts";

export const feedSlug = z
  .string()
  .regex(
    FEED_SLUG_PATTERN,
    "must be 1-64 lowercase letters, digits or hyphens, not starting or ending with a hyphen",
  );

const feedFields = {
  kind: z
    .enum(["section", "story"])
    .describe("`section` runs indefinitely; `story` follows one developing story"),
  title: plainText(200),
  description: plainText(2000),
  language: languageTag,
  status: z.enum(["open", "closed"]).describe("a closed feed takes no new articles"),
  iconUrl: absoluteHttpUrl.nullable().describe("square image: feed logo and fediverse avatar"),
  imageUrl: absoluteHttpUrl.nullable().describe("wide header image"),
};

/** A feed as declared in `feeds/*.json` or created through `POST /admin/feeds`. */
export const feedInput = z
  .object({
    slug: feedSlug,
    kind: feedFields.kind.default("section"),
    title: feedFields.title,
    description: feedFields.description.default(""),
    language: feedFields.language.default("en"),
    status: feedFields.status.default("open"),
    iconUrl: feedFields.iconUrl.default(null),
    imageUrl: feedFields.imageUrl.default(null),
  })
  .strict();

/** `PATCH /admin/feeds/{slug}`: any subset of the editable fields. */
export const feedPatch = z
  .object({
    kind: feedFields.kind.optional(),
    title: feedFields.title.optional(),
    description: feedFields.description.optional(),
    language: feedFields.language.optional(),
    status: feedFields.status.optional(),
    iconUrl: feedFields.iconUrl.optional(),
    imageUrl: feedFields.imageUrl.optional(),
  })
  .strict()
  .refine((patch) => Object.keys(patch).length > 0, {
    message: "name at least one field to change",
  });

export type FeedInput = z.output<typeof feedInput>;
export type FeedPatch = z.output<typeof feedPatch>;
