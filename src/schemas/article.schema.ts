import { z } from "zod";
import { isStorableInstant } from "../domain/instant.ts";
import { absoluteHttpUrl, languageTag, optionalPlainText, plainText } from "./common.ts";
import { feedSlug } from "./feed.schema.ts";

const fediverseHandle = z
  .string()
  .regex(/^@?[^@\s/]+@[^@\s/]+\.[^@\s/]+$/, "must look like @user@example.social")
  .transform((handle) => (handle.startsWith("@") ? handle : `@${handle}`));

export const authorInput = z
  .object({
    name: plainText(200),
    url: absoluteHttpUrl.optional(),
    fediverseHandle: fediverseHandle.optional(),
  })
  .strict();

export const imageInput = z
  .object({
    url: absoluteHttpUrl,
    alt: plainText(1500).describe("text alternative for readers who cannot see the image"),
    caption: optionalPlainText(2000).optional(),
    credit: optionalPlainText(300).optional(),
  })
  .strict();

const uniqueList = <T extends z.ZodType<string>>(item: T, max: number) =>
  z
    .array(item)
    .max(max, `must have at most ${max} entries`)
    .transform((values) => [...new Set(values as string[])]);

const isoDateTime = z.iso
  .datetime({
    offset: true,
    message: "must be an ISO 8601 date-time with a time zone, e.g. 2016-07-20T09:30:00Z",
  })
  .transform((value) => new Date(value))
  .refine(isStorableInstant, { message: "must lie between the years 0001 and 9999" });

const externalId = z
  .string()
  .min(1)
  .max(200)
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point.
  .regex(/^[^\u0000-\u001f\u007f]*$/, "must not contain control characters");

const authorsOutput = z.array(
  z.object({ name: z.string(), url: z.url().optional(), fediverseHandle: z.string().optional() }),
);

const imageOutput = z
  .object({
    url: z.url(),
    alt: z.string(),
    caption: z.string().optional(),
    credit: z.string().optional(),
  })
  .nullable();

/** A correction says what was wrong in a sentence or two, not a second story. */
export const CORRECTION_MAX_CHARS = 1000;

const articleFields = {
  headline: plainText(300),
  standfirst: optionalPlainText(2000)
    .nullable()
    .transform((value) => (value === "" ? null : value))
    .describe("the summary shown under the headline"),
  contentWarning: optionalPlainText(500)
    .nullable()
    .transform((value) => (value === "" ? null : value))
    .describe("shown before the story and its image; on the fediverse the post's content warning"),
  bodyHtml: z
    .string()
    .describe("HTML; sanitised on the way in (scripts, handlers, iframes removed)"),
  authors: z.array(authorInput).max(20),
  image: imageInput.nullable(),
  tags: uniqueList(plainText(100), 30),
  feeds: uniqueList(feedSlug, 20).refine((slugs) => slugs.length > 0, "name at least one feed"),
  language: languageTag,
  publishedAt: isoDateTime.describe("defaults to now; a future time schedules the article"),
  canonicalUrl: absoluteHttpUrl.nullable().describe("the story on the publisher's own site"),
  pinned: z.boolean().describe("pinned stories are featured on the feeds' fediverse profiles"),
};

/** `POST /admin/articles` */
export const articleInput = z
  .object({
    headline: articleFields.headline,
    standfirst: articleFields.standfirst.optional().default(null),
    contentWarning: articleFields.contentWarning.optional().default(null),
    bodyHtml: articleFields.bodyHtml,
    authors: articleFields.authors.default([]),
    image: articleFields.image.optional().default(null),
    tags: articleFields.tags.default([]),
    feeds: articleFields.feeds,
    language: articleFields.language.optional().describe("defaults to the first feed's language"),
    publishedAt: articleFields.publishedAt.optional(),
    canonicalUrl: articleFields.canonicalUrl.optional().default(null),
    pinned: articleFields.pinned.default(false),
    externalId: externalId
      .nullable()
      .optional()
      .default(null)
      .describe("the CMS's id: pushing the same externalId again returns the stored article"),
  })
  .strict();

/** `PATCH /admin/articles/{id}`: any subset of the fields; `externalId` never changes. */
export const articlePatch = z
  .object({
    headline: articleFields.headline.optional(),
    standfirst: articleFields.standfirst.optional(),
    contentWarning: articleFields.contentWarning.optional(),
    bodyHtml: articleFields.bodyHtml.optional(),
    authors: articleFields.authors.optional(),
    image: articleFields.image.optional(),
    tags: articleFields.tags.optional(),
    feeds: articleFields.feeds.optional(),
    language: articleFields.language.optional(),
    publishedAt: articleFields.publishedAt.optional(),
    canonicalUrl: articleFields.canonicalUrl.optional(),
    pinned: articleFields.pinned.optional(),
    live: z.boolean().optional().describe("a developing story: updates are coming"),
    correction: plainText(CORRECTION_MAX_CHARS)
      .optional()
      .describe(
        "a public note on this revision (plain text): shown on the page, in the feeds and to followers, and kept in the history; without it the revision is a silent fix",
      ),
  })
  .strict()
  .refine((patch) => Object.values(patch).some((v) => v !== undefined), {
    message: "name at least one field to change",
  });

/** `POST /admin/articles/{id}/updates`: one live update on a developing story. */
export const liveUpdateInput = z
  .object({
    headline: plainText(300).nullable().optional().default(null),
    bodyHtml: articleFields.bodyHtml.refine((html) => html.trim().length > 0, "must not be empty"),
    authors: articleFields.authors.default([]),
    image: articleFields.image.optional().default(null),
    publishedAt: articleFields.publishedAt.optional(),
    externalId: externalId
      .nullable()
      .optional()
      .default(null)
      .describe("the CMS's id: pushing the same externalId again returns the stored update"),
    live: z
      .boolean()
      .optional()
      .describe("the article's live flag after this push; defaults to true"),
  })
  .strict();

/** `PATCH /admin/articles/{id}/updates/{updateId}` */
export const liveUpdatePatch = z
  .object({
    headline: plainText(300).nullable().optional(),
    bodyHtml: articleFields.bodyHtml
      .refine((html) => html.trim().length > 0, "must not be empty")
      .optional(),
    authors: articleFields.authors.optional(),
    image: articleFields.image.optional(),
    publishedAt: articleFields.publishedAt.optional(),
  })
  .strict()
  .refine((patch) => Object.values(patch).some((v) => v !== undefined), {
    message: "name at least one field to change",
  });

export const liveUpdateListQuery = z
  .object({
    includeDeleted: z
      .enum(["true", "false"])
      .transform((v) => v === "true")
      .optional(),
  })
  .strict();

/** What the admin API answers for a live update. */
export const liveUpdateOutput = z.object({
  id: z.uuid(),
  articleId: z.uuid(),
  url: z.url().describe("the update's anchor on the article's page"),
  status: z.enum(["scheduled", "published", "deleted"]),
  externalId: z.string().nullable(),
  headline: z.string().nullable(),
  bodyHtml: z.string().describe("sanitised HTML"),
  authors: authorsOutput,
  image: imageOutput,
  publishedAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
  createdAt: z.iso.datetime(),
  revision: z.number().int(),
  deletedAt: z.iso.datetime().nullable(),
});

export type LiveUpdateOutput = z.input<typeof liveUpdateOutput>;

export const articleListQuery = z
  .object({
    feed: feedSlug.optional(),
    limit: z.coerce.number().int().min(1).max(200).default(50),
    cursor: z.string().max(200).optional(),
    includeDeleted: z
      .enum(["true", "false"])
      .transform((v) => v === "true")
      .optional(),
  })
  .strict();

export type ArticleInput = z.output<typeof articleInput>;
export type ArticlePatch = z.output<typeof articlePatch>;
export type LiveUpdateInput = z.output<typeof liveUpdateInput>;

/** What the admin API answers for an article (documented in the OpenAPI description). */
export const articleOutput = z.object({
  id: z.uuid(),
  url: z.url().describe("the article's public page on this service"),
  status: z.enum(["scheduled", "published", "deleted"]),
  externalId: z.string().nullable(),
  headline: z.string(),
  standfirst: z.string().nullable(),
  contentWarning: z.string().nullable(),
  bodyHtml: z.string().describe("sanitised HTML"),
  authors: authorsOutput,
  image: imageOutput,
  tags: z.array(z.string()),
  feeds: z.array(z.string()),
  language: z.string(),
  canonicalUrl: z.url().nullable(),
  pinned: z.boolean(),
  live: z.boolean(),
  liveEndedAt: z.iso
    .datetime()
    .nullable()
    .describe("when live coverage ended (its feed closed, or live set false); coverageEndTime"),
  publishedAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
  createdAt: z.iso.datetime(),
  revision: z.number().int(),
  deletedAt: z.iso.datetime().nullable(),
  corrections: z
    .array(
      z.object({
        id: z.uuid(),
        revision: z.number().int().describe("the revision that carried the note"),
        note: z.string(),
        correctedAt: z.iso.datetime(),
      }),
    )
    .describe("public corrections, oldest first"),
});

export type ArticleOutput = z.input<typeof articleOutput>;
