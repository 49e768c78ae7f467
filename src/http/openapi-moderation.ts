import type { z } from "zod";
import { tokenInput } from "../schemas/admin-token.schema.ts";
import { blockInput } from "../schemas/block.schema.ts";
import { replyPatch, reportPatch } from "../schemas/moderation.schema.ts";

type ProblemResponse = (description: string) => unknown;
type JsonSchema = (schema: z.ZodType) => unknown;

const body = (ref: string) => ({
  required: true,
  content: { "application/json": { schema: { $ref: `#/components/schemas/${ref}` } } },
});
const ok = (description: string) => ({ description });
const query = (name: string, schema: Record<string, unknown>) => ({
  name,
  in: "query",
  required: false,
  schema,
});
const paging = [
  query("limit", { type: "integer", minimum: 1, maximum: 200 }),
  query("cursor", { type: "string" }),
];
const pathParam = (name: string) => ({
  name,
  in: "path",
  required: true,
  schema: { type: "string" },
});

/** Tokens, the audit log, blocks, reports and replies (README: Tokens, Moderation). */
export function moderationPaths(problem: ProblemResponse, errors: Record<string, unknown>) {
  const forbidden = { "403": problem("The token's scope does not cover this (admin needed)") };
  return {
    "/admin/tokens": {
      post: {
        summary: "Create a scoped admin token; its secret is in this answer only",
        requestBody: body("TokenInput"),
        responses: {
          "201": ok("The token, with `token`"),
          "409": problem("Name taken"),
          ...forbidden,
          ...errors,
        },
      },
      get: {
        summary: "List tokens (never their secrets)",
        responses: { "200": ok("Tokens"), ...forbidden },
      },
    },
    "/admin/tokens/{idOrName}": {
      parameters: [pathParam("idOrName")],
      delete: {
        summary: "Revoke a token: it stops working at once",
        responses: {
          "200": ok("The revoked token"),
          "404": problem("No such live token"),
          ...forbidden,
        },
      },
    },
    "/admin/audit": {
      get: {
        summary: "Every admin write: token name, action, target, status, time (newest first)",
        parameters: paging,
        responses: { "200": ok("A page of entries"), ...forbidden },
      },
    },
    "/admin/blocks": {
      post: {
        summary: "Block a server (domain, with subdomains) or an account; suspend or silence",
        requestBody: body("BlockInput"),
        responses: {
          "201": ok("The block and what it removed (`effects`)"),
          "200": ok("Updated"),
          ...forbidden,
          ...errors,
        },
      },
      get: {
        summary: "List blocks, newest first",
        parameters: [...paging, query("target", { type: "string" })],
        responses: { "200": ok("A page of blocks"), ...forbidden },
      },
    },
    "/admin/blocks/import": {
      post: {
        summary: "Import Mastodon's domain-block CSV export, all of it or nothing",
        requestBody: { required: true, content: { "text/csv": { schema: { type: "string" } } } },
        responses: {
          "200": ok("created, updated, skipped, effects"),
          "422": problem("A malformed line: `line` and `errors[0].pointer` (/line/N) say which"),
          ...forbidden,
        },
      },
    },
    "/admin/blocks/{idOrTarget}": {
      parameters: [pathParam("idOrTarget")],
      delete: {
        summary: "Unblock; nothing the block removed is restored, and the answer says so",
        responses: {
          "200": ok("`restored: false` and why"),
          "404": problem("Not blocked"),
          ...forbidden,
        },
      },
    },
    "/admin/reports": {
      get: {
        summary: "Reports received (Flag), newest first",
        parameters: [
          query("status", { type: "string", enum: ["open", "resolved", "all"] }),
          ...paging,
        ],
        responses: { "200": ok("A page of reports"), ...forbidden },
      },
    },
    "/admin/reports/{id}": {
      parameters: [pathParam("id")],
      patch: {
        summary: "Resolve (or reopen) a report",
        requestBody: body("ReportPatch"),
        responses: {
          "200": ok("The report"),
          "404": problem("No such report"),
          ...forbidden,
          ...errors,
        },
      },
    },
    "/admin/replies/{id}": {
      parameters: [pathParam("id")],
      patch: {
        summary:
          "Hide a reply from pages and counts (id: its ActivityPub id, percent-encoded); optionally block its author",
        requestBody: body("ReplyPatch"),
        responses: {
          "200": ok("The reply, and the block if one was made"),
          "404": problem("No such reply"),
          ...forbidden,
          ...errors,
        },
      },
    },
  };
}

export function moderationSchemas(jsonSchema: JsonSchema) {
  return {
    TokenInput: jsonSchema(tokenInput),
    BlockInput: jsonSchema(blockInput),
    ReportPatch: jsonSchema(reportPatch),
    ReplyPatch: jsonSchema(replyPatch),
  };
}
