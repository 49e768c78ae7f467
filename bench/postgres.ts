/** A throwaway PostgreSQL cluster for the benchmark (the same one the test suite starts). */
import pg from "pg";
import { startCluster } from "../test/support/postgres-cluster.ts";

export interface BenchPostgres {
  /** URL of the (empty) `tidings_bench` database. */
  readonly url: string;
  readonly version: string;
  stop(): Promise<void>;
}

export async function startPostgres(): Promise<BenchPostgres> {
  const cluster = await startCluster();
  try {
    const client = new pg.Client({ connectionString: cluster.url });
    // A dropped connection rejects the statement; unhandled, its 'error' event would crash.
    client.on("error", () => {});
    await client.connect();
    try {
      await client.query("create database tidings_bench");
    } finally {
      await client.end();
    }
  } catch (error) {
    await cluster.stop().catch(() => {});
    throw error;
  }
  const url = new URL(cluster.url);
  url.pathname = "/tidings_bench";
  return { url: url.toString(), version: cluster.version, stop: cluster.stop };
}
