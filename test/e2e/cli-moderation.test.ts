/**
 * The moderation and access commands of `tidings` (tokens; blocks), run for real against the
 * real server (`src/entries/node/server.ts`) on a free port with its own embedded database.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliRun, runCli } from "../support/cli-process.ts";
import { freePort } from "../support/free-port.ts";
import { type ServerProcess, startProcess, waitForHealth } from "../support/node-process.ts";

const TOKEN = "cli-moderation-admin-token-0123456789";

describe("tidings token and block commands against a running server", () => {
  let server: ServerProcess;
  let dataDir: string;
  let url: string;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "tidings-cli-moderation-"));
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    server = startProcess({
      PORT: String(port),
      PUBLIC_URL: url,
      DATA_DIR: dataDir,
      ADMIN_TOKEN: TOKEN,
      LOG_LEVEL: "warn",
    });
    await waitForHealth(url, server);
  });
  afterAll(async () => {
    if (server && server.child.exitCode === null) {
      server.child.kill("SIGTERM");
      await server.exited;
    }
    await rm(dataDir, { recursive: true, force: true });
  });

  const tidings = (args: readonly string[], token = TOKEN): Promise<CliRun> =>
    runCli(args, { TIDINGS_URL: url, ADMIN_TOKEN: token });

  it("creates a publish token shown once, pushes with it, lists and revokes it", async () => {
    const created = await tidings(["token", "create", "--scope", "publish", "--name", "cms"]);
    expect(created.code).toBe(0);
    const secret = created.stdout.trim();
    expect(secret).toMatch(/^tdg_[A-Za-z0-9_-]{43}$/);
    expect(created.stderr).toMatch(/not shown again/);

    const feeds = await tidings(["feeds"], secret);
    expect(feeds.code).toBe(0);
    const refused = await tidings(["followers", "world"], secret);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/admin scope/);

    const listed = await tidings(["tokens"]);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/^cms\s+publish\s+\S+\s+live$/m);
    expect(listed.stdout).not.toContain(secret);

    const revoked = await tidings(["token", "revoke", "cms"]);
    expect(revoked.code).toBe(0);
    expect(revoked.stdout).toBe("revoked token cms (publish)\n");
    const after = await tidings(["feeds"], secret);
    expect(after.code).toBe(1);
    expect(after.stderr).toMatch(/refused the token/);

    const usage = await tidings(["token", "create", "--scope", "root", "--name", "x"]);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/--scope must be publish or admin/);
  });

  it("blocks a server, imports a CSV, lists the blocks and unblocks (restoring nothing)", async () => {
    const blocked = await tidings(["block", "spam.example", "--comment", "spam farm"]);
    expect(blocked.code).toBe(0);
    expect(blocked.stdout).toMatch(/^blocked spam\.example\n {2}removed 0 followers/);
    const silenced = await tidings(["block", "noisy.example", "--silence"]);
    expect(silenced.stdout).toBe("silenced noisy.example\n");

    const csv = join(dataDir, "blocks.csv");
    await writeFile(
      csv,
      "#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate\nimported.example,suspend,false,true,,false\n",
    );
    const imported = await tidings(["block", "--import", csv]);
    expect(imported.code).toBe(0);
    expect(imported.stdout).toBe(`imported ${csv}: 1 new, 0 updated, 0 skipped (noop)\n`);
    await writeFile(csv, "#domain,#severity\nbad domain!,suspend\n");
    const malformed = await tidings(["block", "--import", csv]);
    expect(malformed.code).toBe(1);
    expect(malformed.stderr).toContain("/line/2: ");

    const listed = await tidings(["blocks"]);
    expect(listed.code).toBe(0);
    expect(
      listed.stdout
        .split("\n")
        .slice(1, 4)
        .map((l) => l.split(/\s+/)[0]),
    ).toEqual(["imported.example", "noisy.example", "spam.example"]);
    const unblocked = await tidings(["unblock", "spam.example"]);
    expect(unblocked.code).toBe(0);
    expect(unblocked.stdout).toMatch(/^Unblocked\. Nothing is restored/);
    expect((await tidings(["unblock", "spam.example"])).code).toBe(1);
  });
});
