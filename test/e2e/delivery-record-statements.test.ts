import type { KyselyPlugin } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDeliveryRecordView } from "../../src/storage/views/delivery-record.view.ts";
import { insertFarmFollowers } from "../support/farm-followers.ts";
import { type FederatedServer, startFederatedServer } from "../support/federated-server.ts";
import { type PeerFarm, startPeerFarm } from "../support/fediverse-peer.ts";

const SERVERS = 200;

/** Counts the statements run through the app's database handle, and those of the record. */
class StatementCounter implements KyselyPlugin {
  total = 0;
  record = 0;
  transformQuery: KyselyPlugin["transformQuery"] = (args) => {
    this.total++;
    if (JSON.stringify(args.node).includes("delivery_records")) this.record++;
    return args.node;
  };
  transformResult: KyselyPlugin["transformResult"] = async (args) => args.result;
}

/**
 * The record must not make a fan-out chatty (issue 17: at most 0.2 SQL statements per delivery):
 * a publish to 200 servers, counted statement by statement through the app's kysely handle
 * (the publish's own transaction and the relay's reads are a fixed cost: ~30 statements).
 */
describe("the delivery record's cost in a fan-out (postgres)", () => {
  const counter = new StatementCounter();
  let server: FederatedServer;
  let farm: PeerFarm;

  beforeAll(async () => {
    farm = await startPeerFarm({ hosts: SERVERS, firstAddress: "127.0.4.1" });
    server = await startFederatedServer("postgres", "direct", {
      storesDatabase: (db) => db.withPlugin(counter),
      deliveryConcurrency: 256,
    });
    await insertFarmFollowers(server.database.db, farm, "world");
  });
  afterAll(async () => {
    await server?.close();
    await farm?.close();
  });

  /** Publishes one story and waits until every server has it and the record says so. */
  const publishEverywhere = async (headline: string) => {
    const push = await server.admin("POST", "/admin/articles", {
      headline,
      bodyHtml: "<p>Text</p>",
      feeds: ["world"],
    });
    expect(push.status).toBe(201);
    const { id } = (await push.json()) as { id: string };
    await farm.waitForAllHosts(`${server.url}/ap/feeds/world/articles/${id}/revisions/1/create`);
    await server.settle();
    // Read outside the counted handle.
    const view = createDeliveryRecordView(server.database.db);
    for (let deadline = Date.now() + 10_000; Date.now() < deadline; ) {
      if ((await view.deliverySummary(id)).delivered === SERVERS) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return view.deliverySummary(id);
  };

  it("records a publish to 200 servers in a few statements, within 0.2 per delivery in all", async () => {
    // The first publish teaches Fedify each server's signature spec (a write per server).
    await publishEverywhere("Warm-up");
    counter.total = 0;
    counter.record = 0;
    const summary = await publishEverywhere("Summit opens");
    expect(summary).toMatchObject({ delivered: SERVERS, failed: 0, pending: 0, servers: SERVERS });
    // One INSERT of the pending rows, and the outcomes in a batch or a few.
    expect(counter.record).toBeGreaterThanOrEqual(2);
    expect(counter.record).toBeLessThanOrEqual(6);
    // The whole fan-out, the publish's own transaction included.
    expect(counter.total / SERVERS).toBeLessThanOrEqual(0.2);
  });
});
