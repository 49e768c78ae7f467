import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ArticleDeliveriesJson, RemoteServerJson } from "../../src/cli/api-client.ts";
import type { DeliverySender } from "../../src/config.ts";
import { runCli } from "../support/cli-process.ts";
import { deferred } from "../support/deferred.ts";
import { type FederatedServer, startFederatedServer } from "../support/federated-server.ts";
import { follow, type PeerServer, postSigned, startPeerServer } from "../support/fediverse-peer.ts";
import { ADMIN_TOKEN } from "../support/test-app.ts";

const CASES: readonly { kind: "postgres" | "pglite"; sender: DeliverySender }[] = [
  { kind: "postgres", sender: "direct" },
  { kind: "pglite", sender: "fedify" },
];

const DAY_MS = 86_400_000;

type ServersJson = { items: RemoteServerJson[]; nextCursor: string | null };

/**
 * The delivery record through the app: a publish to four real peers, one taking it, one gone
 * (410), one failing (500) and one that does not answer, as the API and the CLI show it.
 */
describe.each(CASES)("the delivery record ($kind, $sender sender)", ({ kind, sender }) => {
  let server: FederatedServer;
  let taker: PeerServer;
  let gone: PeerServer;
  let broken: PeerServer;
  let silent: PeerServer;
  /** Holds the silent peer's answers until the test is over. */
  const release = deferred<number>();
  let offsetMs = 0;
  const clock = { now: () => new Date(Date.now() + offsetMs) };
  let articleId = "";

  const get = async <T>(path: string): Promise<{ status: number; type: string; body: T }> => {
    const response = await server.admin("GET", path);
    return {
      status: response.status,
      type: response.headers.get("content-type") ?? "",
      body: (await response.json()) as T,
    };
  };
  const deliveries = async () =>
    (await get<ArticleDeliveriesJson>(`/admin/articles/${articleId}/deliveries`)).body;

  beforeAll(async () => {
    server = await startFederatedServer(kind, sender, { clock });
    const start = (host: string) => startPeerServer({ host, actors: ["ann"] });
    [taker, gone, broken, silent] = await Promise.all([
      start("127.0.0.31"),
      start("127.0.0.32"),
      start("127.0.0.33"),
      start("127.0.0.34"),
    ]);
    const actorId = `${server.url}/ap/feeds/world`;
    for (const peer of [taker, gone, broken, silent]) {
      const actor = peer.actor("ann");
      const response = await postSigned(`${actorId}/inbox`, follow(actor, actorId), { actor });
      expect(response.status).toBe(202);
      await peer.waitFor((r) => r.type === "Accept", 15_000);
    }
    await server.settle();
    gone.configure({ intercept: () => 410 });
    broken.configure({ intercept: () => 500 });
    silent.configure({ intercept: () => release.promise });
  });
  afterAll(async () => {
    release.resolve(503);
    await Promise.all([taker, gone, broken, silent].map((peer) => peer?.close()));
    await server?.close();
  });

  it("records each server's outcome of a publish: delivered, failed with its status, pending", async () => {
    const push = await server.admin("POST", "/admin/articles", {
      headline: "Summit opens",
      bodyHtml: "<p>Text</p>",
      feeds: ["world"],
    });
    expect(push.status).toBe(201);
    articleId = ((await push.json()) as { id: string }).id;
    await taker.waitFor((r) => r.type === "Create", 15_000);

    let record = await deliveries();
    for (let deadline = Date.now() + 20_000; Date.now() < deadline; ) {
      if (record.delivered === 1 && record.failed === 2) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
      record = await deliveries();
    }
    expect(record).toMatchObject({
      articleId,
      revision: 1,
      delivered: 1,
      failed: 2,
      pending: 1,
      servers: 4,
      nextCursor: null,
    });
    const byHost = new Map(record.items.map((item) => [item.host, item]));
    expect(byHost.get(taker.authority)).toMatchObject({ state: "delivered" });
    expect(byHost.get(taker.authority)?.lastStatus).toMatch(/^2/);
    expect(byHost.get(gone.authority)).toMatchObject({ state: "failed", lastStatus: "410" });
    expect(byHost.get(broken.authority)).toMatchObject({ state: "failed", lastStatus: "500" });
    expect(byHost.get(broken.authority)?.attempts).toBeGreaterThanOrEqual(1);
    expect(byHost.get(silent.authority)).toMatchObject({
      state: "pending",
      lastStatus: null,
      attempts: 0,
      lastAttemptAt: null,
    });

    const failed = await get<ArticleDeliveriesJson>(
      `/admin/articles/${articleId}/deliveries?state=failed&limit=1`,
    );
    expect(failed.body.items.map((item) => item.host)).toEqual([
      [gone.authority, broken.authority].sort()[0],
    ]);
    expect(failed.body.nextCursor).not.toBeNull();
  });

  it("lists the remote servers, and those failing now", async () => {
    const all = await get<ServersJson>("/admin/servers");
    expect(all.status).toBe(200);
    const byHost = new Map(all.body.items.map((item) => [item.host, item]));
    expect(byHost.get(taker.authority)).toMatchObject({
      followers: 1,
      failing: false,
      failures: 0,
    });
    expect(byHost.get(taker.authority)?.lastSuccessAt).not.toBeNull();
    // The gone inbox's follower was removed; its record stays, failing.
    expect(byHost.get(gone.authority)).toMatchObject({ followers: 0, failing: true, failures: 1 });
    expect(byHost.get(broken.authority)).toMatchObject({ followers: 1, failing: true });
    expect(byHost.get(silent.authority)).toMatchObject({ followers: 1, failing: false });

    const failing = await get<ServersJson>("/admin/servers?failing=1");
    expect(failing.body.items.map((item) => item.host).sort()).toEqual(
      [gone.authority, broken.authority].sort(),
    );
  });

  it("shows the record on the command line", async () => {
    const env = { TIDINGS_URL: server.url, ADMIN_TOKEN };
    const shown = await runCli(["deliveries", articleId], env);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain("1 delivered, 2 failed, 1 pending of 4 servers");
    const brokenLine = shown.stdout.split("\n").find((line) => line.includes(broken.authority));
    expect(brokenLine).toMatch(/failed\s+500/);
    const servers = await runCli(["servers", "--failing", "--json"], env);
    expect(servers.code).toBe(0);
    const listed = JSON.parse(servers.stdout) as ServersJson;
    expect(listed.items.map((item) => item.host).sort()).toEqual(
      [gone.authority, broken.authority].sort(),
    );
  });

  it("answers a bad query with problem+json naming the parameter", async () => {
    for (const [path, pointer] of [
      [`/admin/articles/${articleId}/deliveries?limit=0`, "/query/limit"],
      [`/admin/articles/${articleId}/deliveries?state=lost`, "/query/state"],
      [`/admin/articles/${articleId}/deliveries?cursor=nope`, "/query/cursor"],
      [`/admin/articles/${articleId}/deliveries?colour=red`, "/query/colour"],
      ["/admin/servers?failing=maybe", "/query/failing"],
    ] as const) {
      const answer = await get<{ status: number; errors: { pointer: string }[] }>(path);
      expect(answer.status, path).toBe(422);
      expect(answer.type).toBe("application/problem+json");
      expect(answer.body.errors.map((error) => error.pointer)).toContain(pointer);
    }
    const unknown = await get<{ status: number }>("/admin/articles/not-an-id/deliveries");
    expect(unknown.status).toBe(404);
    expect(unknown.type).toBe("application/problem+json");
  });

  it("prunes publishes older than DELIVERY_RECORD_DAYS (30 by default)", async () => {
    offsetMs = 29 * DAY_MS;
    expect(await server.runtime.pruneDeliveryRecord()).toBe(0);
    offsetMs = 31 * DAY_MS;
    expect(await server.runtime.pruneDeliveryRecord()).toBe(4);
    expect(await deliveries()).toMatchObject({ revision: null, servers: 0, items: [] });
  });
});
