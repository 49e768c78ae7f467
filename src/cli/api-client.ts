import type { ArticleOutput } from "../schemas/article.schema.ts";
import { CliError, UsageError } from "./errors.ts";

export const DEFAULT_URL = "http://localhost:8000";
const TIMEOUT_MS = 30_000;

/** An article as the admin API answers it. */
export type ArticleJson = ArticleOutput;

/** A feed as the admin API answers it (`GET /admin/feeds/SLUG`). */
export interface FeedJson {
  readonly slug: string;
  readonly kind: "section" | "story";
  readonly title: string;
  readonly description: string;
  readonly language: string;
  readonly status: "open" | "closed";
  readonly handle: string;
  readonly urls: {
    readonly page: string;
    readonly rss: string;
    readonly atom: string;
    readonly json: string;
  };
  readonly [field: string]: unknown;
}

export interface FollowerJson {
  readonly actorId: string;
  readonly inboxUrl: string;
  readonly sharedInboxUrl: string | null;
  readonly createdAt: string;
}

/** `GET /admin/articles/{id}/deliveries`: one server of a publish, and the whole answer. */
export interface ServerDeliveryJson {
  host: string;
  state: string;
  lastStatus: string | null;
  attempts: number;
  lastAttemptAt: string | null;
}

export interface ArticleDeliveriesJson {
  articleId: string;
  revision: number | null;
  delivered: number;
  failed: number;
  pending: number;
  servers: number;
  items: ServerDeliveryJson[];
  nextCursor: string | null;
}

/** `GET /admin/servers`: one remote server. */
export interface RemoteServerJson {
  host: string;
  followers: number;
  lastSuccessAt: string | null;
  lastStatus: string | null;
  failures: number;
  circuit: string | null;
  failing: boolean;
}

/** RFC 9457 problem details, as the admin API sends them. */
export interface ProblemJson {
  readonly type?: string;
  readonly title?: string;
  readonly status?: number;
  readonly detail?: string;
  readonly errors?: readonly { readonly pointer: string; readonly detail: string }[];
}

/** The server answered with an error. */
export class ApiError extends CliError {
  constructor(
    message: string,
    readonly status: number,
    readonly problem: ProblemJson | undefined,
    details: readonly string[] = [],
  ) {
    super(message, details, { status, problem: problem ?? null });
    this.name = "ApiError";
  }

  /** `["/headline: must not be empty", …]`: one line per field at fault. */
  get fieldErrors(): string[] {
    return (this.problem?.errors ?? []).map((e) => `${e.pointer}: ${e.detail}`);
  }
}

export interface ApiResponse<T> {
  readonly status: number;
  readonly body: T;
}

/** The admin API over fetch: bearer token, JSON bodies, problems turned into readable errors. */
export class ApiClient {
  readonly baseUrl: string;

  constructor(
    baseUrl: string,
    private readonly token: string | undefined,
    private readonly timeoutMs = TIMEOUT_MS,
  ) {
    this.baseUrl = baseUrl.replace(/\/+$/, "");
  }

  async request<T>(
    method: string,
    path: string,
    options: {
      body?: unknown;
      query?: Record<string, string | number | undefined>;
      /** A body sent as it is, with its media type (not JSON). */
      raw?: { readonly text: string; readonly contentType: string };
    } = {},
  ): Promise<ApiResponse<T>> {
    const url = new URL(this.baseUrl + path);
    for (const [key, value] of Object.entries(options.query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    const headers: Record<string, string> = { accept: "application/json" };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    if (options.body !== undefined) headers["content-type"] = "application/json";
    if (options.raw) headers["content-type"] = options.raw.contentType;

    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers,
        body:
          options.raw?.text ??
          (options.body === undefined ? undefined : JSON.stringify(options.body)),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      throw this.connectionError(error);
    }

    const text = await response.text();
    let body: unknown;
    if (text !== "") {
      try {
        body = JSON.parse(text);
      } catch {
        if (response.ok) {
          throw new CliError(
            `unexpected answer from ${url.origin} (not JSON): is ${this.baseUrl} a Tidings server?`,
          );
        }
      }
    }
    if (!response.ok) throw this.apiError(method, path, response, body);
    return { status: response.status, body: body as T };
  }

  get<T>(path: string, query?: Record<string, string | number | undefined>) {
    return this.request<T>("GET", path, { query });
  }

  post<T>(path: string, body: unknown) {
    return this.request<T>("POST", path, { body });
  }

  patch<T>(path: string, body: unknown) {
    return this.request<T>("PATCH", path, { body });
  }

  delete(path: string) {
    return this.request<undefined>("DELETE", path);
  }

  private connectionError(error: unknown): CliError {
    const name = (error as { name?: string }).name;
    if (name === "TimeoutError" || name === "AbortError") {
      return new CliError(
        `cannot reach ${this.baseUrl}: no answer within ${this.timeoutMs / 1000} s`,
      );
    }
    const code = errorCode(error);
    const reasons: Record<string, string> = {
      ECONNREFUSED: "connection refused — is the server running?",
      ENOTFOUND: `host ${new URL(this.baseUrl).hostname} not found`,
      EAI_AGAIN: `host ${new URL(this.baseUrl).hostname} not found (DNS lookup failed)`,
      ECONNRESET: "the connection was reset",
      EHOSTUNREACH: "host unreachable",
      ENETUNREACH: "network unreachable",
      ETIMEDOUT: "the connection timed out",
    };
    const message = error instanceof Error ? causeMessage(error) : String(error);
    const reason =
      (code && reasons[code]) ??
      (message === "bad port"
        ? `fetch refuses port ${new URL(this.baseUrl).port} (reserved for another protocol)`
        : message);
    return new CliError(`cannot reach ${this.baseUrl}: ${reason}`, [], { code: code ?? null });
  }

  private apiError(method: string, path: string, response: Response, body: unknown): ApiError {
    const problem = isProblem(body) ? body : undefined;
    const status = response.status;
    if (status === 401) {
      const message = this.token
        ? "the server refused the token: set ADMIN_TOKEN (or --token) to the server's admin token"
        : "no admin token: set ADMIN_TOKEN (or pass --token)";
      return new ApiError(
        message,
        status,
        problem,
        problem?.detail ? [`server says: ${problem.detail}`] : [],
      );
    }
    if (!problem) {
      return new ApiError(
        `${method} ${path} failed: HTTP ${status} ${response.statusText}`.trim(),
        status,
        undefined,
      );
    }
    const fields = (problem.errors ?? []).map((e) => `${e.pointer}: ${e.detail}`);
    const title = problem.title ?? `HTTP ${status}`;
    // A validation problem's detail merely repeats its field errors.
    const message =
      problem.detail && (fields.length === 0 || status !== 422)
        ? `${title}: ${problem.detail}`
        : title;
    return new ApiError(message, status, problem, fields);
  }
}

function isProblem(body: unknown): body is ProblemJson {
  return typeof body === "object" && body !== null && "status" in body && "title" in body;
}

/** fetch wraps the socket error (sometimes an AggregateError of one per address) in `cause`. */
function errorCode(error: unknown): string | undefined {
  const cause = (error as { cause?: unknown }).cause;
  const candidates = [cause, ...((cause as { errors?: unknown[] })?.errors ?? [])];
  for (const candidate of candidates) {
    const code = (candidate as { code?: unknown })?.code;
    if (typeof code === "string") return code;
  }
  return undefined;
}

function causeMessage(error: Error): string {
  const cause = error.cause;
  return cause instanceof Error && cause.message ? cause.message : error.message;
}

/** Server URL and token: flags first, then TIDINGS_URL / ADMIN_TOKEN, then the default URL. */
export function clientFromOptions(
  options: { url?: string | undefined; token?: string | undefined },
  env: NodeJS.ProcessEnv,
): ApiClient {
  const url = options.url ?? (env.TIDINGS_URL || DEFAULT_URL);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`the server URL ${JSON.stringify(url)} is not a URL`);
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    throw new UsageError(`the server URL must start with http:// or https:// (got ${url})`);
  }
  return new ApiClient(url, options.token ?? (env.ADMIN_TOKEN || undefined));
}
