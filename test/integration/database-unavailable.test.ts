import { type AddressInfo, createServer, type Socket } from "node:net";
import { sql } from "kysely";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it, vi } from "vitest";
import { createApp } from "../../src/app.ts";
import { createDeps } from "../../src/deps.ts";
import {
  isDatabaseUnavailable,
  unavailableReason,
} from "../../src/fedify-kysely/database-unavailable.ts";
import { createLogger } from "../../src/logger.ts";
import { createDatabase, type Db } from "../../src/storage/database.ts";
import { createStores } from "../../src/storage/stores.ts";
import { createEmptyPostgresDatabase } from "../support/databases.ts";
import { freePort } from "../support/free-port.ts";
import { ADMIN_TOKEN, PUBLIC_URL } from "../support/test-app.ts";

/** The error `promise` rejects with. */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected a rejection");
}

describe("recognising an unreachable database", () => {
  let closed: Db;

  beforeAll(async () => {
    // Nothing listens on a port freePort() just gave back.
    closed = createDatabase({ databaseUrl: `postgres://postgres@127.0.0.1:${await freePort()}/x` });
  });
  afterAll(() => closed.destroy());

  it("recognises a refused connection", async () => {
    const error = await rejection(sql`select 1`.execute(closed));
    expect(isDatabaseUnavailable(error)).toBe(true);
    expect(unavailableReason(error)).toBe("ECONNREFUSED");
  });

  it("recognises a terminated session, and the client it leaves behind", async () => {
    const adminUrl = inject("postgresAdminUrl");
    const victim = new pg.Client({ connectionString: adminUrl });
    // The server's 57P01 comes first, then the closed socket's "Connection terminated
    // unexpectedly": a client emits 'error' for each, so it needs a listener for good.
    const errors: Error[] = [];
    const lost = new Promise<Error>((resolve) =>
      victim.on("error", (error) => {
        errors.push(error);
        resolve(error);
      }),
    );
    await victim.connect();
    const { rows } = await victim.query<{ pid: number }>("select pg_backend_pid() as pid");
    const killer = new pg.Client({ connectionString: adminUrl });
    await killer.connect();
    try {
      await killer.query("select pg_terminate_backend($1)", [rows[0]?.pid]);
    } finally {
      await killer.end();
    }
    const error = await lost;
    expect(unavailableReason(error)).toMatch(/^57P01 terminating connection/);
    const next = await rejection(victim.query("select 1"));
    expect(isDatabaseUnavailable(next)).toBe(true);
    await victim.end().catch(() => {});
    for (const each of errors) expect(isDatabaseUnavailable(each)).toBe(true);
  });

  it("leaves real faults alone", async () => {
    const adminUrl = inject("postgresAdminUrl");
    const db = createDatabase({ databaseUrl: adminUrl, poolSize: 1 });
    try {
      const syntax = await rejection(sql`selec 1`.execute(db));
      expect((syntax as { code?: string }).code).toBe("42601");
      expect(isDatabaseUnavailable(syntax)).toBe(false);
      const missing = await rejection(sql`select * from no_such_table`.execute(db));
      expect(isDatabaseUnavailable(missing)).toBe(false);
    } finally {
      await db.destroy();
    }
    expect(isDatabaseUnavailable(new Error("boom"))).toBe(false);
    expect(isDatabaseUnavailable(undefined)).toBe(false);
    expect(isDatabaseUnavailable("ECONNREFUSED")).toBe(false);
  });

  it("looks through causes and the attempts of a multi-address connect", () => {
    const refused = Object.assign(new Error("connect ECONNREFUSED ::1:5432"), {
      code: "ECONNREFUSED",
    });
    expect(unavailableReason(new Error("Migration unknown failed", { cause: refused }))).toBe(
      "ECONNREFUSED",
    );
    expect(unavailableReason(new AggregateError([new Error("other"), refused]))).toBe(
      "ECONNREFUSED",
    );
    expect(unavailableReason(Object.assign(new Error("starting"), { code: "57P03" }))).toBe(
      "57P03 starting",
    );
    expect(unavailableReason(new Error("timeout exceeded when trying to connect"))).toBe(
      "timeout exceeded when trying to connect",
    );
    expect(unavailableReason(Object.assign(new Error("lost"), { code: "08006" }))).toBe(
      "08006 lost",
    );
  });

  it("answers 503 problem+json with Retry-After, and logs one line per failure", async () => {
    const lines: string[] = [];
    const logger = createLogger("debug", (line) => lines.push(line));
    const deps = createDeps({
      config: {
        publicUrl: PUBLIC_URL,
        adminToken: ADMIN_TOKEN,
        maxBodyBytes: 64 * 1024,
        feedItemLimit: 50,
      },
      stores: createStores(closed),
      logger,
    });
    const app = createApp(deps);
    const responses = [
      await app.request("/admin/articles", {
        method: "POST",
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
        body: JSON.stringify({ headline: "Hello", bodyHtml: "<p>Text</p>", feeds: ["world"] }),
      }),
      await app.request("/admin/articles", {
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      }),
      await app.request("/healthz"),
    ];
    for (const response of responses) {
      expect(response.status).toBe(503);
      expect(response.headers.get("content-type")).toBe("application/problem+json");
      expect(response.headers.get("retry-after")).toBe("5");
      expect(await response.json()).toMatchObject({ type: "/problems/unavailable", status: 503 });
    }
    // Health checks fail quietly; each failed request is one warn line with its reason.
    expect(lines).toHaveLength(2);
    for (const line of lines) {
      expect(line).toMatch(
        / WARN (POST|GET) \/admin\/articles: 503, database unavailable \(ECONNREFUSED\)$/,
      );
    }
  });
});

describe("a database host that accepts connections but never answers", () => {
  it("gets /healthz a 503 after the connect timeout, not a hang", async () => {
    const sockets = new Set<Socket>();
    const silent = createServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const { port } = silent.address() as AddressInfo;
    const db = createDatabase({ databaseUrl: `postgres://postgres@127.0.0.1:${port}/x` });
    try {
      const deps = createDeps({
        config: {
          publicUrl: PUBLIC_URL,
          adminToken: ADMIN_TOKEN,
          maxBodyBytes: 1024,
          feedItemLimit: 1,
        },
        stores: createStores(db),
        logger: createLogger("error"),
      });
      const started = Date.now();
      const response = await createApp(deps).request("/healthz");
      expect(response.status).toBe(503);
      // The pool's 5 s connect timeout, with some slack for a busy machine.
      expect(Date.now() - started).toBeLessThan(8_000);
    } finally {
      for (const socket of sockets) socket.destroy();
      await db.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});

describe("a pool whose connections the server closes", () => {
  let empty: { url: string; drop(): Promise<void> };
  let db: Db;
  const lines: string[] = [];

  beforeAll(async () => {
    empty = await createEmptyPostgresDatabase("tidings_outage");
    db = createDatabase({
      databaseUrl: empty.url,
      logger: createLogger("warn", (l) => lines.push(l)),
    });
  });
  afterAll(async () => {
    await db?.destroy();
    await empty?.drop();
  });

  /** Terminates every session on this test's database but the caller's own. */
  const terminateAll = async () => {
    const name = new URL(empty.url).pathname.slice(1);
    const admin = new pg.Client({ connectionString: inject("postgresAdminUrl") });
    await admin.connect();
    try {
      const { rowCount } = await admin.query(
        // With a timeout (PostgreSQL 14+) it returns once the backend has exited, not just been
        // signalled: the next statement on that connection can only fail.
        "select pg_terminate_backend(pid, 10000) from pg_stat_activity where datname = $1",
        [name],
      );
      return rowCount ?? 0;
    } finally {
      await admin.end();
    }
  };

  it("drops an idle connection the server closed and opens a fresh one", async () => {
    await sql`select 1`.execute(db);
    expect(await terminateAll()).toBe(1);
    await vi.waitFor(() =>
      expect(lines.join("\n")).toMatch(/database connection closed by the server \(57P01/),
    );
    const { rows } = await sql<{ one: number }>`select 1 as one`.execute(db);
    expect(rows).toEqual([{ one: 1 }]);
  });

  it("fails the transaction whose connection was closed, not the process", async () => {
    const failed = await rejection(
      db.transaction().execute(async (trx) => {
        await sql`select 1`.execute(trx);
        expect(await terminateAll()).toBe(1);
        await sql`select 1`.execute(trx);
      }),
    );
    expect(isDatabaseUnavailable(failed)).toBe(true);
    const { rows } = await sql<{ one: number }>`select 1 as one`.execute(db);
    expect(rows).toEqual([{ one: 1 }]);
  });
});
