import type { Context } from "hono";
import type { z } from "zod";
import { readBoundedBytes } from "./bounded-body.ts";
import { type FieldError, ProblemError, problem, validationProblem } from "./problem.ts";

/**
 * Reads a JSON request body: right media type (415), within `maxBytes` (413, checked while
 * streaming so an oversized body is never held in memory), valid UTF-8 JSON (400), and valid
 * for `schema` (422, every field at fault listed). Throws ProblemError; writes nothing.
 */
export async function readJsonBody<S extends z.ZodType>(
  c: Context,
  schema: S,
  maxBytes: number,
): Promise<z.output<S>> {
  const contentType = c.req.header("content-type") ?? "";
  if (!isJsonMediaType(contentType)) {
    throw new ProblemError(
      problem(
        "unsupportedMediaType",
        `Send the body as application/json (got ${contentType || "no Content-Type"})`,
      ),
    );
  }
  const text = await readBoundedText(c.req.raw, maxBytes);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ProblemError(problem("malformedJson", (error as Error).message));
  }
  return parseWith(schema, json);
}

/** Validates query parameters (422 with a pointer per parameter at fault). */
export function readQuery<S extends z.ZodType>(c: Context, schema: S): z.output<S> {
  return parseWith(schema, c.req.query(), "query");
}

export function parseWith<S extends z.ZodType>(schema: S, value: unknown, where = ""): z.output<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  throw new ProblemError(validationProblem(fieldErrors(parsed.error.issues, where)));
}

export function fieldErrors(issues: readonly z.core.$ZodIssue[], where = ""): FieldError[] {
  const prefix = where ? `/${where}` : "";
  return issues.flatMap((issue) => {
    const base = prefix + toPointer(issue.path);
    if (issue.code === "unrecognized_keys") {
      return issue.keys.map((key) => ({
        pointer: `${base}/${escapePointer(key)}`,
        detail: "is not a known field",
      }));
    }
    return [{ pointer: base || "/", detail: issue.message }];
  });
}

function toPointer(path: readonly PropertyKey[]): string {
  return path.map((segment) => `/${escapePointer(String(segment))}`).join("");
}

function escapePointer(segment: string): string {
  return segment.replaceAll("~", "~0").replaceAll("/", "~1");
}

function isJsonMediaType(contentType: string): boolean {
  const mediaType = contentType.split(";")[0]?.trim().toLowerCase() ?? "";
  return mediaType === "application/json" || /^application\/[a-z0-9.+-]+\+json$/.test(mediaType);
}

async function readBoundedText(request: Request, maxBytes: number): Promise<string> {
  const bytes = await readBoundedBytes(request, maxBytes);
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new ProblemError(problem("malformedJson", "The body is not valid UTF-8"));
  }
}
