import { z } from "zod";
import {
  ACTOR_TYPES,
  FEED_SLUG_PATTERN,
  OBJECT_TYPES,
  QUOTE_POLICIES,
  RESERVED_SLUGS,
} from "../domain/feed.ts";
import { absoluteHttpUrl, languageTag, plainText } from "./common.ts";

export const feedSlug = z
  .string()
  .regex(
    FEED_SLUG_PATTERN,
    "must be 1-64 lowercase letters, digits or hyphens, not starting or ending with a hyphen",
  )
  .refine((slug) => !RESERVED_SLUGS.includes(slug), "is reserved for the service's own pages");

const feedFields = {
  kind: z
    .enum(["section", "story"])
    .describe("`section` runs indefinitely; `story` follows one developing story"),
  title: plainText(200),
  description: plainText(2000),
  language: languageTag,
  status: z
    .enum(["open", "closed"])
    .describe("`closed`: the story has ended (its profile and page say when)"),
  iconUrl: absoluteHttpUrl.nullable().describe("square image: feed logo and fediverse avatar"),
  imageUrl: absoluteHttpUrl.nullable().describe("wide header image"),
  actorType: z
    .enum(ACTOR_TYPES as ["Organization", ...typeof ACTOR_TYPES])
    .describe("the fediverse account's type; `Service` marks it as a bot"),
  objectType: z
    .enum(OBJECT_TYPES as ["Note", ...typeof OBJECT_TYPES])
    .describe("`Note`: a short post linking to the story; `Article`: the full story"),
  quotePolicy: z
    .enum(QUOTE_POLICIES as ["everyone", ...typeof QUOTE_POLICIES])
    .describe(
      "who may quote the feed's posts on the fediverse (FEP-044f), approved automatically: `everyone`, the feed's `followers`, or `nobody`",
    ),
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
    actorType: feedFields.actorType.default("Organization"),
    objectType: feedFields.objectType.default("Note"),
    quotePolicy: feedFields.quotePolicy.default("everyone"),
  })
  .strict();

/** `PATCH /admin/feeds/{slug}`: any subset of the editable fields. */
export const feedPatch = z
  .object({
    slug: feedSlug
      .optional()
      .describe(
        "renames the feed: its followers move to the new fediverse account (a `Move` from the old one), and the old slug's URLs redirect to the new ones",
      ),
    kind: feedFields.kind.optional(),
    title: feedFields.title.optional(),
    description: feedFields.description.optional(),
    language: feedFields.language.optional(),
    status: feedFields.status.optional(),
    iconUrl: feedFields.iconUrl.optional(),
    imageUrl: feedFields.imageUrl.optional(),
    actorType: feedFields.actorType.optional(),
    objectType: feedFields.objectType.optional(),
    quotePolicy: feedFields.quotePolicy.optional(),
  })
  .strict()
  .refine((patch) => Object.keys(patch).length > 0, {
    message: "name at least one field to change",
  });

export type FeedInput = z.output<typeof feedInput>;
export type FeedPatch = z.output<typeof feedPatch>;
