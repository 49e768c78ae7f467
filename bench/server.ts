/** Starts Tidings (`node --import tsx src/entries/node/server.ts`) as a child process on a free loopback port. */
import path from "node:path";
import { freePort } from "../test/support/free-port.ts";
import { waitForHttp } from "./http-client.ts";
import { type Child, startChild } from "./proc.ts";

export const REPO_ROOT = path.resolve(import.meta.dirname, "..");

export interface TidingsOptions {
  readonly name: string;
  /** PostgreSQL URL; undefined runs on embedded PGlite in `dataDir`. */
  readonly databaseUrl: string | undefined;
  readonly dataDir: string;
  readonly adminToken: string;
  /** Extra flags for node, e.g. `--cpu-prof`. */
  readonly nodeFlags?: readonly string[];
}

export interface TidingsServer {
  readonly origin: string;
  readonly port: number;
  readonly child: Child;
  stop(): Promise<void>;
}

/**
 * BENCH_TIDINGS_ENV="MALLOC_ARENA_MAX=2 FOO=bar": extra variables for the Tidings processes, to
 * try a deployment setting with the bench.
 */
export function extraEnvironment(): Record<string, string> {
  const entries = (process.env.BENCH_TIDINGS_ENV ?? "")
    .split(/\s+/)
    .filter((pair) => pair.includes("="))
    .map((pair) => [pair.slice(0, pair.indexOf("=")), pair.slice(pair.indexOf("=") + 1)]);
  return Object.fromEntries(entries);
}

export async function startTidings(options: TidingsOptions): Promise<TidingsServer> {
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: String(port),
    PUBLIC_URL: origin,
    ADMIN_TOKEN: options.adminToken,
    LOG_LEVEL: "warn",
    DATA_DIR: options.dataDir,
    FEEDS_DIR: path.join(REPO_ROOT, "feeds"),
    NODE_ENV: "production",
    // As `npm start` runs it: fewer glibc malloc arenas for the compression threads, and a
    // bounded V8 heap (live data is ~85 MiB after GC; without a cap V8 grows it lazily).
    MALLOC_ARENA_MAX: "2",
    NODE_OPTIONS: "--max-old-space-size=192",
  };
  delete env.DATABASE_URL;
  Object.assign(env, extraEnvironment());
  if (options.databaseUrl) env.DATABASE_URL = options.databaseUrl;
  const child = startChild(
    options.name,
    process.execPath,
    [
      ...(options.nodeFlags ?? []),
      "--import",
      "tsx",
      path.join(REPO_ROOT, "src/entries/node/server.ts"),
    ],
    { env, cwd: REPO_ROOT },
  );
  try {
    await waitForHttp(`${origin}/healthz`, { timeoutMs: 60_000, isDead: child.exitStatus });
  } catch (error) {
    await child.stop(2_000);
    throw new Error(
      `${options.name} did not start: ${(error as Error).message}\n${child.output()}`,
    );
  }
  return { origin, port, child, stop: () => child.stop(15_000) };
}
