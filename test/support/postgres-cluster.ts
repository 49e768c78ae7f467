/**
 * A throwaway PostgreSQL cluster built from the installed server binaries: `initdb` into a temp
 * dir, started on a free loopback port with durability off, stopped and deleted by `stop()` (or,
 * as a last resort, when the process exits).
 *
 * Used by test/global-setup.ts (one cluster per test run), by tests that stop and start their
 * own server (test/e2e/database-outage.test.ts) and by the benchmark (bench/).
 */
import { execFile, spawnSync } from "node:child_process";
import { existsSync, readdirSync, rmSync } from "node:fs";
import { chown, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { freePort } from "./free-port.ts";

const INSTALL_HINT =
  "Install PostgreSQL's server binaries (Debian/Ubuntu: `apt-get install -y postgresql`; " +
  "macOS: `brew install postgresql`), or set TEST_DATABASE_URL to the URL of an existing server " +
  "whose user may CREATE DATABASE, e.g. " +
  "TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npm test";

export interface Cluster {
  readonly url: string;
  readonly port: number;
  readonly dir: string;
  readonly version: string;
  /** Stops and deletes the cluster. */
  stop(): Promise<void>;
  /**
   * Stops the server but keeps the cluster, as a restart or failover would: `fast` (default)
   * tells every session 57P01 and closes it; `immediate` drops them like a crash.
   */
  stopServer(mode?: "fast" | "immediate"): Promise<void>;
  /** Starts the stopped server again, on the same port with the same data. */
  startServer(): Promise<void>;
}

export async function startCluster(): Promise<Cluster> {
  const binDir = await findBinDir();
  const runAs = await chooseRunAs();
  const initdb = path.join(binDir, "initdb");
  const pgCtl = path.join(binDir, "pg_ctl");
  const version = (await run(pgCtl, ["--version"])).trim().replace(/^pg_ctl \(PostgreSQL\) /, "");

  // Under /tmp when root so the `postgres` user can traverse every component of the path.
  const dir = await mkdtemp(path.join(runAs ? "/tmp" : tmpdir(), "tidings-pg-"));
  const dataDir = path.join(dir, "data");
  const logFile = path.join(dir, "postgres.log");
  let stopped = false;

  const stopSync = () => {
    // Last resort if the process exits without running the teardown.
    if (stopped) return;
    stopped = true;
    spawnSync(...wrap(runAs, pgCtl, ["stop", "-D", dataDir, "-m", "immediate", "-w"]), {
      stdio: "ignore",
      cwd: dir,
    });
    rmSync(dir, { recursive: true, force: true });
  };
  process.once("exit", stopSync);

  const stop = async () => {
    process.off("exit", stopSync);
    if (stopped) return;
    stopped = true;
    try {
      if (existsSync(path.join(dataDir, "postmaster.pid"))) {
        await run(...wrap(runAs, pgCtl, ["stop", "-D", dataDir, "-m", "immediate", "-w"]), dir);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  };

  try {
    if (runAs) await chown(dir, runAs.uid, runAs.gid);
    await run(
      ...wrap(runAs, initdb, [
        "-D",
        dataDir,
        "-A",
        "trust",
        "-U",
        "postgres",
        "--no-sync",
        "-E",
        "UTF8",
        "--locale=C",
      ]),
      dir,
    );

    const startServerOn = async (port: number) => {
      const options = [
        `-p ${port}`,
        `-k '${dir}'`,
        "-c listen_addresses=127.0.0.1",
        "-c fsync=off",
        "-c synchronous_commit=off",
        "-c full_page_writes=off",
        "-c max_connections=200",
      ].join(" ");
      await run(
        ...wrap(runAs, pgCtl, [
          "start",
          "-w",
          "-t",
          "60",
          "-D",
          dataDir,
          "-l",
          logFile,
          "-o",
          options,
        ]),
        dir,
      );
    };

    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      try {
        await startServerOn(port);
        return {
          url: `postgres://postgres@127.0.0.1:${port}/postgres`,
          port,
          dir,
          version,
          stop,
          stopServer: async (mode = "fast") => {
            await run(...wrap(runAs, pgCtl, ["stop", "-D", dataDir, "-m", mode, "-w"]), dir);
          },
          startServer: () => startServerOn(port),
        };
      } catch (error) {
        const log = await readFile(logFile, "utf8").catch(() => "");
        // Another process may have taken the port between our probe and postgres binding it.
        if (attempt < 5 && /could not bind|already in use/i.test(log)) continue;
        throw new Error(`pg_ctl start failed; server log:\n${log.slice(-4000)}`, { cause: error });
      }
    }
  } catch (error) {
    await stop().catch(() => {});
    throw error;
  }
}

/** The directory holding `initdb` and `pg_ctl`: $TEST_PG_BINDIR, pg_config, Debian's layout, PATH. */
async function findBinDir(): Promise<string> {
  const candidates: string[] = [];
  if (process.env.TEST_PG_BINDIR) candidates.push(process.env.TEST_PG_BINDIR);
  const fromPgConfig = await run("pg_config", ["--bindir"]).catch(() => "");
  if (fromPgConfig.trim()) candidates.push(fromPgConfig.trim());
  const debianRoot = "/usr/lib/postgresql";
  if (existsSync(debianRoot)) {
    const versions = readdirSync(debianRoot)
      .filter((name) => /^\d+(\.\d+)?$/.test(name))
      .sort((a, b) => Number.parseFloat(b) - Number.parseFloat(a));
    for (const version of versions) candidates.push(path.join(debianRoot, version, "bin"));
  }
  candidates.push(...(process.env.PATH ?? "").split(path.delimiter).filter(Boolean));

  const found = candidates.find(
    (dir) => existsSync(path.join(dir, "initdb")) && existsSync(path.join(dir, "pg_ctl")),
  );
  if (!found) {
    throw new Error(
      `No PostgreSQL server binaries (initdb and pg_ctl) found for the test database. ${INSTALL_HINT}. ` +
        `Looked in: ${[...new Set(candidates)].join(", ") || "(nothing)"}`,
    );
  }
  return found;
}

interface RunAs {
  readonly user: string;
  readonly uid: number;
  readonly gid: number;
}

/** PostgreSQL refuses to run as root, so as root the cluster belongs to `postgres` (or `nobody`). */
async function chooseRunAs(): Promise<RunAs | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  for (const user of ["postgres", "nobody"]) {
    try {
      const uid = Number((await run("id", ["-u", user])).trim());
      const gid = Number((await run("id", ["-g", user])).trim());
      return { user, uid, gid };
    } catch {
      // No such user; try the next.
    }
  }
  throw new Error(
    "Running as root, but neither a `postgres` nor a `nobody` user exists to own the test " +
      `cluster (PostgreSQL will not run as root). ${INSTALL_HINT}`,
  );
}

function wrap(runAs: RunAs | undefined, command: string, args: string[]): [string, string[]] {
  if (!runAs) return [command, args];
  const runuser = findExecutable("runuser");
  if (runuser) return [runuser, ["-u", runAs.user, "--", command, ...args]];
  const quoted = [command, ...args].map((arg) => `'${arg.replaceAll("'", `'\\''`)}'`).join(" ");
  return ["su", [runAs.user, "-s", "/bin/sh", "-c", quoted]];
}

function findExecutable(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? "").split(path.delimiter), "/usr/sbin", "/sbin"];
  return dirs
    .filter((dir) => dir !== "")
    .map((dir) => path.join(dir, name))
    .find((file) => existsSync(file));
}

function run(command: string, args: string[], cwd?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { cwd, encoding: "utf8" }, (error, stdout, stderr) => {
      if (error) {
        const output = `${stdout}${stderr}`.trim();
        reject(
          new Error(`${command} ${args.join(" ")} failed: ${error.message}\n${output}`, {
            cause: error,
          }),
        );
      } else {
        resolve(stdout);
      }
    });
  });
}
