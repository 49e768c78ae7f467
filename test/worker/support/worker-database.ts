/**
 * A fresh PostgreSQL database for a Worker test, prepared the way the README's "Deploy to
 * Cloudflare" does it: `npm run db:migrate` with DATABASE_URL (migrations + feeds/ sync).
 */
import { execFile } from "node:child_process";
import { join } from "node:path";
import { createDatabase, type Db } from "../../../src/storage/database.ts";
import { createEmptyPostgresDatabase } from "../../support/databases.ts";

const ROOT = join(import.meta.dirname, "../../..");

export interface WorkerDatabase {
  readonly url: string;
  /** For assertions and for changing rows behind the Worker's back. */
  readonly db: Db;
  destroy(): Promise<void>;
}

export async function createWorkerDatabase(): Promise<WorkerDatabase> {
  const empty = await createEmptyPostgresDatabase("tidings_worker");
  await migrate(empty.url);
  const db = createDatabase({ databaseUrl: empty.url, poolSize: 2 });
  return {
    url: empty.url,
    db,
    async destroy() {
      try {
        await db.destroy();
      } finally {
        await empty.drop();
      }
    },
  };
}

/** `npm run db:migrate` (src/entries/node/migrate.ts) against the database, with only what it needs. */
function migrate(databaseUrl: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(
      join(ROOT, "node_modules/.bin/node"),
      ["--import", "tsx", "src/entries/node/migrate.ts"],
      {
        cwd: ROOT,
        env: { PATH: process.env.PATH ?? "", DATABASE_URL: databaseUrl, LOG_LEVEL: "warn" },
      },
      (error, stdout, stderr) =>
        error ? reject(new Error(`db:migrate failed:\n${stdout}${stderr}`)) : resolve(),
    );
  });
}
