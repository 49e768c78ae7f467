/** Starts bench/baseline-server.ts (bare node:http, or minimal Hono) as a child process. */
import path from "node:path";
import { freePort } from "../test/support/free-port.ts";
import { waitForHttp } from "./http-client.ts";
import { type Child, startChild } from "./proc.ts";
import { REPO_ROOT } from "./server.ts";

export type BaselineKind = "node" | "hono" | "app";

export interface BaselineServer {
  readonly kind: BaselineKind;
  readonly origin: string;
  readonly child: Child;
  stop(): Promise<void>;
}

/** `dir` holds world.rss, world.rss.gz, world.rss.br and world.rss.meta.json. */
export async function startBaseline(
  kind: BaselineKind,
  dir: string,
  nodeFlags: readonly string[] = [],
): Promise<BaselineServer> {
  const port = await freePort();
  const child = startChild(
    `baseline-${kind}`,
    process.execPath,
    [
      ...nodeFlags,
      "--import",
      "tsx",
      path.join(REPO_ROOT, "bench/baseline-server.ts"),
      kind,
      dir,
      String(port),
    ],
    { cwd: REPO_ROOT, env: { ...process.env, NODE_ENV: "production" } },
  );
  const origin = `http://127.0.0.1:${port}`;
  try {
    await waitForHttp(`${origin}/feeds/world.rss`, {
      timeoutMs: 30_000,
      isDead: child.exitStatus,
    });
  } catch (error) {
    await child.stop(2_000);
    throw new Error(
      `baseline ${kind} did not start: ${(error as Error).message}\n${child.output()}`,
    );
  }
  return { kind, origin, child, stop: () => child.stop(5_000) };
}
