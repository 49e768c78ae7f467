/**
 * A throwaway PostgreSQL cluster for one scenario (the one the test suite starts), with an empty
 * database that Tidings reaches as the role `tidings`, and PostgreSQL's own count of the SQL
 * statements that role ran: `pg_stat_statements` (shipped with PostgreSQL's contrib modules,
 * in Debian's server package) counts every statement a session sends, BEGIN and COMMIT included,
 * one per call of a function; the bench's own queries run as `postgres` and are not counted.
 * Nothing in Tidings is patched or preloaded for it.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import pg from "pg";
import { startCluster } from "../../test/support/postgres-cluster.ts";

export interface BenchPostgres {
  /** URL of the database for Tidings (role `tidings`). */
  readonly url: string;
  /** The same database as the superuser `postgres`, for the bench's own queries. */
  readonly adminUrl: string;
  readonly version: string;
  /** The postmaster: its process tree is all of PostgreSQL's CPU. */
  readonly pid: number;
  /** Statements role `tidings` has run so far; undefined without the module. */
  statements(): Promise<number | undefined>;
  /** Role `tidings`'s statements by calls so far, most called first (diagnostics). */
  topStatements(limit: number): Promise<{ readonly calls: number; readonly query: string }[]>;
  stop(): Promise<void>;
}

/** Runs the statements one by one on a connection of its own; the rows of the last. */
async function query(url: string, ...statements: string[]): Promise<pg.QueryResultRow[]> {
  const client = new pg.Client({ connectionString: url });
  // A dropped connection rejects the statement; unhandled, its 'error' event would crash.
  client.on("error", () => {});
  await client.connect();
  try {
    let rows: pg.QueryResultRow[] = [];
    for (const sql of statements) rows = (await client.query(sql)).rows;
    return rows;
  } finally {
    await client.end();
  }
}

export async function startPostgres(database: string): Promise<BenchPostgres> {
  const cluster = await startCluster();
  try {
    const [available] = await query(
      cluster.url,
      "select count(*)::int as n from pg_available_extensions where name = 'pg_stat_statements'",
    );
    const counting = available?.n === 1;
    if (counting) {
      // The module must be loaded at start-up: one restart, same port and data.
      await query(cluster.url, "alter system set shared_preload_libraries = 'pg_stat_statements'");
      await cluster.stopServer();
      await cluster.startServer();
    }
    await query(cluster.url, "create role tidings login superuser", `create database ${database}`);
    const url = new URL(cluster.url);
    url.pathname = `/${database}`;
    const adminUrl = url.toString();
    if (counting) await query(adminUrl, "create extension pg_stat_statements");
    url.username = "tidings";
    const pidFile = await readFile(path.join(cluster.dir, "data/postmaster.pid"), "utf8");
    return {
      url: url.toString(),
      adminUrl,
      version: cluster.version,
      pid: Number(pidFile.split("\n", 1)[0]),
      stop: cluster.stop,
      statements: async () => {
        if (!counting) return undefined;
        const [row] = await query(
          adminUrl,
          `select coalesce(sum(calls), 0)::int as calls from pg_stat_statements
           where userid = 'tidings'::regrole and dbid = (select oid from pg_database where datname = current_database())`,
        );
        return Number(row?.calls ?? 0);
      },
      topStatements: async (limit) => {
        if (!counting) return [];
        const rows = await query(
          adminUrl,
          `select calls::int as calls, query from pg_stat_statements
           where userid = 'tidings'::regrole and dbid = (select oid from pg_database where datname = current_database())
           order by calls desc limit ${Math.trunc(limit)}`,
        );
        return rows.map((row) => ({ calls: Number(row.calls), query: String(row.query) }));
      },
    };
  } catch (error) {
    await cluster.stop().catch(() => {});
    throw error;
  }
}

/** The statements between two counts, per delivery (NaN without pg_stat_statements). */
export function statementsPer(
  before: number | undefined,
  after: number | undefined,
  deliveries: number,
): number {
  return before === undefined || after === undefined ? Number.NaN : (after - before) / deliveries;
}

/** The bench's own connection to the database (the superuser), closed after the scenario. */
export function benchPool(
  postgres: BenchPostgres,
  context: { log(line: string): void; defer(cleanup: () => Promise<unknown>): void },
): pg.Pool {
  const db = new pg.Pool({ connectionString: postgres.adminUrl, max: 2 });
  // The pool drops an idle connection the server closed; unhandled, this event would crash.
  db.on("error", (error) => context.log(`bench pool: ${error.message}`));
  context.defer(() => db.end());
  return db;
}

/** Resolves (with the time) once the queue table is empty: all work of the push is done. */
export async function waitForEmptyQueue(db: pg.Pool): Promise<number> {
  for (const until = Date.now() + 60_000; Date.now() < until; ) {
    const { rows } = await db.query<{ n: number }>(
      "select count(*)::int as n from fedify_messages",
    );
    if (rows[0]?.n === 0) return Date.now();
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error("the queue did not drain within 60 s");
}
