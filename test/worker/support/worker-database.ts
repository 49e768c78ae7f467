/**
 * A fresh PostgreSQL database for a Worker test, prepared the way the README's "Deploy to
 * Cloudflare" does it: `npm run db:migrate` with DATABASE_URL (migrations + feeds/ sync).
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import pg from "pg";
import { inject } from "vitest";
import { createDatabase, type Db } from "../../../src/storage/database.ts";

const ROOT = join(import.meta.dirname, "../../..");

export interface WorkerDatabase {
  readonly url: string;
  /** For assertions and for changing rows behind the Worker's back. */
  readonly db: Db;
  destroy(): Promise<void>;
}

export async function createWorkerDatabase(): Promise<WorkerDatabase> {
  const adminUrl = inject("postgresAdminUrl");
  const name = `tidings_worker_${randomBytes(8).toString("hex")}`;
  await admin(adminUrl, `CREATE DATABASE "${name}"`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const databaseUrl = url.toString();
  await migrate(databaseUrl);
  const db = createDatabase({ databaseUrl, poolSize: 2 });
  return {
    url: databaseUrl,
    db,
    async destroy() {
      try {
        await db.destroy();
      } finally {
        await admin(adminUrl, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      }
    },
  };
}

/** `npm run db:migrate` (src/migrate.ts) against the database, with only what it needs. */
function migrate(databaseUrl: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(
      join(ROOT, "node_modules/.bin/node"),
      ["--import", "tsx", "src/migrate.ts"],
      {
        cwd: ROOT,
        env: { PATH: process.env.PATH ?? "", DATABASE_URL: databaseUrl, LOG_LEVEL: "warn" },
      },
      (error, stdout, stderr) =>
        error ? reject(new Error(`db:migrate failed:\n${stdout}${stderr}`)) : resolve(),
    );
  });
}

async function admin(adminUrl: string, statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}
