import { z } from "zod";
import {
  articleInput,
  articleListQuery,
  articleOutput,
  articlePatch,
  liveUpdateInput,
  liveUpdateOutput,
  liveUpdatePatch,
} from "../schemas/article.schema.ts";
import { articleDeliveriesQuery, remoteServersQuery } from "../schemas/delivery.schema.ts";
import { feedInput, feedPatch } from "../schemas/feed.schema.ts";
import { moderationPaths, moderationSchemas } from "./openapi-moderation.ts";

const jsonSchema = (schema: z.ZodType, io: "input" | "output" = "input") =>
  z.toJSONSchema(schema, { io, unrepresentable: "any", target: "openapi-3.0" });

/** A query schema's fields as OpenAPI query parameters, all optional. */
const queryParameters = (schema: z.ZodType) =>
  Object.entries((jsonSchema(schema) as { properties: Record<string, unknown> }).properties).map(
    ([name, property]) => ({ name, in: "query", required: false, schema: property }),
  );

const problemResponse = (description: string) => ({
  description,
  content: { "application/problem+json": { schema: { $ref: "#/components/schemas/Problem" } } },
});

const jsonBody = (ref: string) => ({
  required: true,
  content: { "application/json": { schema: { $ref: `#/components/schemas/${ref}` } } },
});

const jsonResponse = (description: string, ref: string) => ({
  description,
  content: { "application/json": { schema: { $ref: `#/components/schemas/${ref}` } } },
});

const errors = {
  "400": problemResponse("Malformed JSON"),
  "401": problemResponse("Missing or wrong bearer token, or ADMIN_TOKEN unset"),
  "413": problemResponse("Body over the size limit"),
  "415": problemResponse("Body is not application/json"),
  "422": problemResponse("Validation failed; `errors` lists each field (JSON Pointer)"),
};

/** The admin API description, generated from the same zod schemas that validate requests. */
export function openApiDocument(publicUrl: string) {
  const idParam = {
    name: "id",
    in: "path",
    required: true,
    schema: { type: "string", format: "uuid" },
  };
  const slugParam = { name: "slug", in: "path", required: true, schema: { type: "string" } };
  const listParams = queryParameters(articleListQuery);
  return {
    openapi: "3.0.3",
    info: {
      title: "Tidings admin API",
      version: "1",
      description:
        "Push, revise and delete articles; create and close feeds. Every error is application/problem+json (RFC 9457).",
    },
    servers: [{ url: publicUrl }],
    security: [{ bearer: [] }],
    paths: {
      "/admin/articles": {
        post: {
          summary: "Publish an article (idempotent by externalId)",
          requestBody: jsonBody("ArticleInput"),
          responses: {
            "201": jsonResponse("Created", "Article"),
            "200": jsonResponse("An article with this externalId already existed", "Article"),
            ...errors,
          },
        },
        get: {
          summary: "List articles, newest first (keyset paged)",
          parameters: listParams,
          responses: { "200": jsonResponse("A page of articles", "ArticlePage"), ...errors },
        },
      },
      "/admin/articles/{id}": {
        parameters: [idParam],
        get: {
          summary: "Read an article (tombstones included)",
          responses: {
            "200": jsonResponse("The article", "Article"),
            "404": problemResponse("Unknown id"),
            "401": errors["401"],
          },
        },
        patch: {
          summary:
            "Revise an article: records a revision and sets updatedAt; with `correction`, a public correction (page, feeds, followers, history)",
          requestBody: jsonBody("ArticlePatch"),
          responses: {
            "200": jsonResponse("The revised article", "Article"),
            "404": problemResponse("Unknown id"),
            "410": problemResponse("The article was deleted"),
            ...errors,
          },
        },
        delete: {
          summary: "Delete an article, leaving a tombstone (its URL answers 410)",
          responses: {
            "204": { description: "Deleted" },
            "404": problemResponse("Unknown id"),
            "401": errors["401"],
          },
        },
      },
      "/admin/articles/{id}/updates": {
        parameters: [idParam],
        post: {
          summary:
            "Push a live update to a developing story (idempotent by externalId); makes the article live unless live is false",
          requestBody: jsonBody("LiveUpdateInput"),
          responses: {
            "201": jsonResponse("Created", "LiveUpdate"),
            "200": jsonResponse(
              "The article already had an update with this externalId",
              "LiveUpdate",
            ),
            "404": problemResponse("Unknown article"),
            "410": problemResponse("The article was deleted"),
            ...errors,
          },
        },
        get: {
          summary: "List an article's live updates, newest first",
          parameters: [
            {
              name: "includeDeleted",
              in: "query",
              required: false,
              schema: { type: "string", enum: ["true", "false"] },
            },
          ],
          responses: {
            "200": { description: "`items`: the updates" },
            "404": problemResponse("Unknown article"),
            "401": errors["401"],
          },
        },
      },
      "/admin/articles/{id}/updates/{updateId}": {
        parameters: [idParam, { ...idParam, name: "updateId" }],
        patch: {
          summary: "Revise a live update",
          requestBody: jsonBody("LiveUpdatePatch"),
          responses: {
            "200": jsonResponse("The revised update", "LiveUpdate"),
            "404": problemResponse("Unknown article or update"),
            "410": problemResponse("The article or the update was deleted"),
            ...errors,
          },
        },
        delete: {
          summary: "Delete a live update, leaving a tombstone",
          responses: {
            "204": { description: "Deleted" },
            "404": problemResponse("Unknown article or update"),
            "401": errors["401"],
          },
        },
      },
      "/admin/feeds": {
        post: {
          summary: "Create a feed",
          requestBody: jsonBody("FeedInput"),
          responses: {
            "201": jsonResponse("Created", "Feed"),
            "409": problemResponse("Slug taken"),
            ...errors,
          },
        },
        get: {
          summary: "List feeds",
          responses: { "200": { description: "Every feed" }, "401": errors["401"] },
        },
      },
      "/admin/feeds/{slug}/followers": {
        parameters: [slugParam],
        get: {
          summary: "A feed's fediverse followers, newest first (paged, with total)",
          parameters: [
            {
              name: "limit",
              in: "query",
              required: false,
              schema: { type: "integer", minimum: 1, maximum: 500 },
            },
            { name: "cursor", in: "query", required: false, schema: { type: "string" } },
          ],
          responses: {
            "200": { description: "A page of followers" },
            "404": problemResponse("Unknown slug"),
            "401": errors["401"],
          },
        },
      },
      "/admin/feeds/{slug}": {
        parameters: [slugParam],
        get: {
          summary: "Read a feed",
          responses: {
            "200": jsonResponse("The feed", "Feed"),
            "404": problemResponse("Unknown slug"),
            "401": errors["401"],
          },
        },
        patch: {
          summary: "Edit, close, reopen or rename a feed",
          description:
            'Closing a story (`{"status":"closed"}`) sets `closedAt`, ends its live articles (`live` false, `liveEndedAt` set), says so on its page and fediverse profile and sends Update(actor) to its followers; its page and documents stay up and it still takes articles. `{"status":"open"}` reopens it. Closing a closed feed changes nothing. `{"slug":"new-name"}` renames the feed: its articles, followers and keys move to the new slug in one transaction, the new fediverse account names the old one in `alsoKnownAs`, the old one answers with `movedTo` and sends `Move` to its followers, and the old slug\'s feed documents and pages answer 301 to the new ones (it stays reserved for this feed; renaming back to it is allowed). A bad value answers 400 problem+json naming the field; nothing is written.',
          requestBody: jsonBody("FeedPatch"),
          responses: {
            "200": jsonResponse("The feed", "Feed"),
            "404": problemResponse("Unknown slug"),
            "409": problemResponse(
              "The new slug is another feed's, or an old slug of another feed (`/slug`)",
            ),
            ...errors,
          },
        },
      },
      "/admin/articles/{id}/deliveries": {
        parameters: [idParam],
        get: {
          summary:
            "What became of a publish at each remote server: `delivered`, `failed` (last status, attempts) or `pending`, with totals of N servers (paged by host; default the latest revision recorded)",
          parameters: queryParameters(articleDeliveriesQuery),
          responses: {
            "200": { description: "Totals and a page of servers" },
            "404": problemResponse("Unknown article"),
            "401": errors["401"],
            "422": errors["422"],
          },
        },
      },
      "/admin/servers": {
        get: {
          summary:
            "Remote servers: followers, last success, failing deliveries, Fedify's circuit-breaker state; `failing=1` only those failing now (admin scope)",
          parameters: queryParameters(remoteServersQuery),
          responses: {
            "200": { description: "A page of servers, by host" },
            "401": errors["401"],
            "403": problemResponse("The token's scope does not cover this (admin needed)"),
            "422": errors["422"],
          },
        },
      },
      ...moderationPaths(problemResponse, errors),
    },
    components: {
      securitySchemes: {
        bearer: {
          type: "http",
          scheme: "bearer",
          description: "ADMIN_TOKEN or a token from POST /admin/tokens (scope publish or admin)",
        },
      },
      schemas: {
        ArticleInput: jsonSchema(articleInput),
        ArticlePatch: jsonSchema(articlePatch),
        Article: jsonSchema(articleOutput, "output"),
        LiveUpdateInput: jsonSchema(liveUpdateInput),
        LiveUpdatePatch: jsonSchema(liveUpdatePatch),
        LiveUpdate: jsonSchema(liveUpdateOutput, "output"),
        ArticlePage: {
          type: "object",
          properties: {
            items: { type: "array", items: { $ref: "#/components/schemas/Article" } },
            nextCursor: { type: "string", nullable: true },
          },
        },
        ...moderationSchemas(jsonSchema),
        FeedInput: jsonSchema(feedInput),
        FeedPatch: jsonSchema(feedPatch),
        Feed: {
          type: "object",
          description:
            "A feed with its page, document URLs and fediverse handle; `closedAt` is when a closed story ended (null while open)",
        },
        Problem: {
          type: "object",
          required: ["type", "title", "status"],
          properties: {
            type: { type: "string" },
            title: { type: "string" },
            status: { type: "integer" },
            detail: { type: "string" },
            errors: {
              type: "array",
              items: {
                type: "object",
                properties: { pointer: { type: "string" }, detail: { type: "string" } },
              },
            },
          },
        },
      },
    },
  };
}
