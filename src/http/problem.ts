import type { ArticleError } from "../domain/article-service.ts";
import type { FeedError } from "../domain/feed-service.ts";
import type { LiveUpdateError } from "../domain/live-update-service.ts";
import { assertNever } from "../domain/result.ts";

/** One field at fault: a JSON Pointer into the request (RFC 6901) and what is wrong with it. */
export interface FieldError {
  readonly pointer: string;
  readonly detail: string;
}

/** RFC 9457 problem details. `type` is a path on this service that explains the problem. */
export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail?: string | undefined;
  readonly errors?: readonly FieldError[] | undefined;
  readonly [extension: string]: unknown;
}

export const PROBLEM_TYPES = {
  malformedJson: { type: "/problems/malformed-json", title: "Malformed JSON", status: 400 },
  requestAborted: { type: "/problems/request-aborted", title: "Request aborted", status: 400 },
  unauthorized: { type: "/problems/unauthorized", title: "Unauthorized", status: 401 },
  notFound: { type: "/problems/not-found", title: "Not found", status: 404 },
  methodNotAllowed: {
    type: "/problems/method-not-allowed",
    title: "Method not allowed",
    status: 405,
  },
  conflict: { type: "/problems/conflict", title: "Conflict", status: 409 },
  gone: { type: "/problems/gone", title: "Gone", status: 410 },
  payloadTooLarge: { type: "/problems/payload-too-large", title: "Payload too large", status: 413 },
  unsupportedMediaType: {
    type: "/problems/unsupported-media-type",
    title: "Unsupported media type",
    status: 415,
  },
  validation: { type: "/problems/validation-failed", title: "Validation failed", status: 422 },
  forbidden: { type: "/problems/forbidden", title: "Forbidden", status: 403 },
  tooManyRequests: { type: "/problems/too-many-requests", title: "Too many requests", status: 429 },
  unavailable: { type: "/problems/unavailable", title: "Service unavailable", status: 503 },
  internal: { type: "/problems/internal-error", title: "Internal server error", status: 500 },
} as const;

export type ProblemKind = keyof typeof PROBLEM_TYPES;

export function problem(
  kind: ProblemKind,
  detail?: string,
  extra?: Record<string, unknown>,
): Problem {
  return { ...PROBLEM_TYPES[kind], detail, ...extra };
}

export function validationProblem(errors: readonly FieldError[], detail?: string): Problem {
  return problem(
    "validation",
    detail ?? errors.map((e) => `${e.pointer}: ${e.detail}`).join("; "),
    {
      errors,
    },
  );
}

/** Thrown by request parsing helpers; `app.onError` turns it into the response. */
export class ProblemError extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail ?? problem.title);
    this.name = "ProblemError";
  }
}

export function problemResponse(body: Problem, headers?: Record<string, string>): Response {
  return new Response(JSON.stringify(body), {
    status: body.status,
    headers: { "content-type": "application/problem+json", ...headers },
  });
}

/**
 * 503 while the database is unreachable. `Retry-After` is about as long as PostgreSQL takes to
 * come back from a restart; nothing was changed, so the same request can simply be sent again.
 */
export function unavailableResponse(detail: string): Response {
  return problemResponse(problem("unavailable", detail), {
    "retry-after": "5",
    "cache-control": "no-store",
  });
}

/** The one place where the domain's expected article failures become HTTP answers. */
export function articleErrorProblem(error: ArticleError): Problem {
  switch (error.type) {
    case "article-not-found":
      return problem("notFound", `No article with id ${error.id}`);
    case "article-deleted":
      return problem("gone", `Article ${error.id} was deleted`);
    case "feeds-not-found":
      return validationProblem(
        error.slugs.map((slug) => ({ pointer: "/feeds", detail: `no feed named "${slug}"` })),
      );
    default:
      return assertNever(error);
  }
}

/** Live update failures: an article's own failures, or the update's. */
export function liveUpdateErrorProblem(error: LiveUpdateError): Problem {
  switch (error.type) {
    case "update-not-found":
      return problem("notFound", `Article ${error.articleId} has no update with id ${error.id}`);
    case "update-deleted":
      return problem("gone", `Update ${error.id} was deleted`);
    default:
      return articleErrorProblem(error);
  }
}

/** The one place where the domain's expected feed failures become HTTP answers. */
export function feedErrorProblem(error: FeedError): Problem {
  switch (error.type) {
    case "feed-not-found":
      return problem("notFound", `No feed named "${error.slug}"`);
    case "feed-exists":
      return problem("conflict", `A feed named "${error.slug}" already exists`, {
        errors: [{ pointer: "/slug", detail: "is taken" }],
      });
    case "slug-retired":
      return problem(
        "conflict",
        `"${error.slug}" is an old name of feed "${error.feedSlug}" and still redirects to it`,
        { errors: [{ pointer: "/slug", detail: `is an old slug of feed "${error.feedSlug}"` }] },
      );
    default:
      return assertNever(error);
  }
}
