/** The external programs the serving scenario drives: wrk (load) and nginx (baseline). */
import { existsSync } from "node:fs";
import path from "node:path";
import { runCommand } from "../../harness/children.ts";

function findExecutable(name: string): string | undefined {
  const dirs = [
    ...(process.env.PATH ?? "").split(path.delimiter),
    "/usr/sbin",
    "/usr/local/sbin",
    "/sbin",
  ];
  return dirs
    .map((dir) => path.join(dir, name))
    .find((file) => path.isAbsolute(file) && existsSync(file));
}

/** Finds wrk and nginx; installs the Debian packages when one is missing and we are root. */
export async function ensureTools(log: (line: string) => void) {
  const missing = ["wrk", "nginx"].filter((name) => !findExecutable(name));
  if (missing.length > 0) {
    const packages = missing.join(" ");
    if (process.getuid?.() !== 0 || !findExecutable("apt-get")) {
      throw new Error(
        `The serving benchmark needs ${packages} on PATH. Install it (Debian/Ubuntu: ` +
          `sudo apt-get install -y ${packages}) and run npm run bench again.`,
      );
    }
    log(
      `${packages} not found: installing from Debian (apt-get install -y ${packages}); this takes a minute once.`,
    );
    const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
    await runCommand("apt-get", ["update", "-qq"], { timeoutMs: 300_000, env });
    await runCommand("apt-get", ["install", "-y", "-qq", ...missing], { timeoutMs: 300_000, env });
  }
  const wrk = findExecutable("wrk");
  const nginx = findExecutable("nginx");
  if (!wrk || !nginx) throw new Error("wrk or nginx is still missing after apt-get install");
  // `wrk -v` prints its banner and exits non-zero; `nginx -v` writes to stderr.
  const wrkVersion = await runCommand(wrk, ["-v"]).catch((error: Error) => error.message);
  const nginxVersion = await runCommand("sh", ["-c", `'${nginx}' -v 2>&1`]);
  return {
    wrk,
    nginx,
    wrkVersion: /wrk (\S+) \[/.exec(wrkVersion)?.[1] ?? "?",
    nginxVersion: /nginx\/(\S+)/.exec(nginxVersion)?.[1] ?? "?",
  };
}
