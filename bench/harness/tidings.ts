/**
 * Tidings as the benchmark runs it: `src/entries/node/server.ts` in a child process, started the
 * way `npm start` starts it (the variables and node flags of package.json's start script, read
 * from there: MALLOC_ARENA_MAX=2 --max-old-space-size=192), in a minimal environment so that a
 * developer's shell does not change the figures. Nothing is preloaded into it.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { freePort } from "../../test/support/free-port.ts";
import { type Child, REPO_ROOT, startNodeChild } from "./children.ts";
import { type HttpClient, waitUntilServing } from "./http-client.ts";

export interface TidingsOptions {
  readonly name: string;
  readonly adminToken: string;
  /** PostgreSQL URL; undefined runs on embedded PGlite in `dataDir`. */
  readonly databaseUrl?: string | undefined;
  readonly dataDir?: string;
  /** Default: a free loopback port. */
  readonly port?: number;
  /** Settings of the scenario (Tidings' own environment variables). */
  readonly env?: Readonly<Record<string, string>>;
}

export interface TidingsServer {
  readonly origin: string;
  readonly child: Child;
  stop(): Promise<void>;
}

/** `npm start`'s variables and node flags (not its .env file, nor the tsx loader we add anyway). */
function npmStart(): { env: Record<string, string>; flags: string[] } {
  const packageJson = readFileSync(path.join(REPO_ROOT, "package.json"), "utf8");
  const [variables = "", command = ""] = (JSON.parse(packageJson).scripts.start as string).split(
    " node ",
  );
  const flags = command.split(" ").filter((arg) => /^--(?!env-file|import)/.test(arg));
  return { env: parsePairs(variables), flags };
}

function parsePairs(text: string): Record<string, string> {
  const pairs = text.split(/\s+/).filter((pair) => pair.includes("="));
  return Object.fromEntries(
    pairs.map((pair) => [pair.slice(0, pair.indexOf("=")), pair.slice(pair.indexOf("=") + 1)]),
  );
}

/** BENCH_TIDINGS_ENV="K=V ...": more environment for every Tidings, to try a deployment setting. */
export const EXTRA_ENV = parsePairs(process.env.BENCH_TIDINGS_ENV ?? "");

export async function startTidings(options: TidingsOptions): Promise<TidingsServer> {
  const port = options.port ?? (await freePort());
  const origin = `http://127.0.0.1:${port}`;
  const start = npmStart();
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    ...start.env,
    NODE_ENV: "production",
    PORT: String(port),
    PUBLIC_URL: origin,
    ADMIN_TOKEN: options.adminToken,
    LOG_LEVEL: "warn",
    FEEDS_DIR: path.join(REPO_ROOT, "feeds"),
    ...(options.databaseUrl ? { DATABASE_URL: options.databaseUrl } : {}),
    ...(options.dataDir ? { DATA_DIR: options.dataDir } : {}),
    ...options.env,
    ...EXTRA_ENV,
  };
  const child = startNodeChild(options.name, "src/entries/node/server.ts", {
    env,
    flags: start.flags,
  });
  await waitUntilServing(child, `${origin}/healthz`, 60_000);
  return {
    origin,
    child,
    stop: () => child.stop(15_000),
  };
}

/** What Tidings printed (at LOG_LEVEL=warn, anything is worth a look). */
export function printedLines(server: TidingsServer): string[] {
  return server.child
    .output()
    .split("\n")
    .filter((line) => line.trim());
}

/** POST /admin/articles with `body` as JSON; returns the new article's id. */
export async function postArticle(
  client: HttpClient,
  adminToken: string,
  body: object,
): Promise<string> {
  const response = await client.request("/admin/articles", {
    method: "POST",
    headers: { authorization: `Bearer ${adminToken}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  if (response.status !== 201) {
    throw new Error(`POST /admin/articles answered ${response.status}: ${response.body}`);
  }
  return (JSON.parse(response.body.toString("utf8")) as { id: string }).id;
}
