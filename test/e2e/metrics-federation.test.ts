import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DeliverySender } from "../../src/config.ts";
import { type FederatedServer, startFederatedServer } from "../support/federated-server.ts";
import {
  activity,
  follow,
  type PeerServer,
  postSigned,
  startPeerServer,
} from "../support/fediverse-peer.ts";
import { parseScrape, type Scrape } from "../support/metrics-text.ts";

const METRICS_TOKEN = "metrics-token-0123456789abcdef";

const CASES: readonly { kind: "postgres" | "pglite"; sender: DeliverySender }[] = [
  { kind: "postgres", sender: "direct" },
  { kind: "pglite", sender: "fedify" },
];

/** Metrics that move as a real peer follows, is delivered to, reports, and goes away. */
describe.each(CASES)("metrics of federation ($kind, $sender sender)", ({ kind, sender }) => {
  let server: FederatedServer;
  let peer: PeerServer;
  let gone: PeerServer; // its inbox answers 410 once told to
  const actorId = () => `${server.url}/ap/feeds/world`;

  const scrape = async (): Promise<Scrape> => {
    const response = await fetch(`${server.url}/metrics`, {
      headers: { authorization: `Bearer ${METRICS_TOKEN}` },
    });
    expect(response.status).toBe(200);
    return parseScrape(await response.text());
  };
  const deliveries = (s: Scrape, outcome: string, by: DeliverySender | undefined = undefined) =>
    s.value("tidings_deliveries_total", by ? { outcome, sender: by } : { outcome });

  beforeAll(async () => {
    server = await startFederatedServer(kind, sender, { metricsToken: METRICS_TOKEN });
    peer = await startPeerServer({ host: "127.0.0.4", actors: ["alice"] });
    gone = await startPeerServer({ host: "127.0.0.5", actors: ["ghost"] });
  });
  afterAll(async () => {
    await Promise.all([peer?.close(), gone?.close()]);
    await server?.close();
  });

  it("counts inbox activities by type and followers per feed", async () => {
    for (const [p, name] of [
      [peer, "alice"],
      [gone, "ghost"],
    ] as const) {
      const actor = p.actor(name);
      const response = await postSigned(`${actorId()}/inbox`, follow(actor, actorId()), { actor });
      expect(response.status).toBe(202);
      await p.waitFor((r) => r.type === "Accept", 15_000);
    }
    await server.settle();
    const metrics = await scrape();
    expect(metrics.value("tidings_inbox_activities_total", { type: "Follow" })).toBe(2);
    expect(metrics.value("tidings_followers", { feed: "world" })).toBe(2);
    expect(metrics.value("tidings_followers", { feed: "us-russia-syria" })).toBe(0);
    // The two Accepts were delivered and timed (by the direct sender when it knows the servers'
    // signature spec already, from their signed Follow).
    expect(deliveries(metrics, "sent")).toBe(2);
    expect(metrics.value("tidings_delivery_duration_seconds_count")).toBe(2);
    if (sender === "fedify") expect(deliveries(metrics, "sent", "direct")).toBe(0);
    expect(metrics.value("tidings_queue_depth")).toBe(0);
    expect(metrics.value("tidings_queue_oldest_message_age_seconds")).toBe(0);
    expect(metrics.value("tidings_outbox_pending")).toBe(0);
  });

  it("counts a publish's deliveries by sender and outcome, and gives up on a gone inbox", async () => {
    const before = await scrape();
    gone.configure({ intercept: () => 410 });
    const push = await server.admin("POST", "/admin/articles", {
      headline: "Summit opens",
      bodyHtml: "<p>Text</p>",
      feeds: ["world"],
    });
    expect(push.status).toBe(201);
    await peer.waitFor((r) => r.type === "Create", 15_000);
    await server.settle();
    const after = await scrape();
    const moved = (outcome: string, by?: DeliverySender) =>
      deliveries(after, outcome, by) - deliveries(before, outcome, by);
    // alice got the Create, from the direct sender when it is on (her server's spec is known).
    expect(moved("sent", sender)).toBe(1);
    expect(moved("sent")).toBe(1);
    // ghost's inbox answered 410: refused (4xx) and given up, its follower removed.
    expect(moved("refused_4xx")).toBeGreaterThanOrEqual(1);
    expect(moved("given_up", "fedify")).toBe(1);
    expect(moved("retried")).toBe(0);
    expect(after.value("tidings_followers", { feed: "world" })).toBe(1);
    if (sender === "direct") expect(moved("refused_4xx", "direct")).toBe(1);
  });

  it("counts a server error as refused (5xx) and retried, then sent", async () => {
    const flaky = await startPeerServer({ host: "127.0.0.6", actors: ["otto"] });
    try {
      const otto = flaky.actor("otto");
      const followed = await postSigned(`${actorId()}/inbox`, follow(otto, actorId()), {
        actor: otto,
      });
      expect(followed.status).toBe(202);
      await flaky.waitFor((r) => r.type === "Accept", 15_000);
      await server.settle();
      const before = await scrape();
      // Every POST of the first round is answered 503 (the direct one, Fedify's and its knock
      // with the other signature spec); the retry a second or two later gets through.
      flaky.configure({ intercept: ({ attempt }) => (attempt <= 3 ? 503 : undefined) });
      const push = await server.admin("POST", "/admin/articles", {
        headline: "Talks resume",
        bodyHtml: "<p>Text</p>",
        feeds: ["world"],
      });
      expect(push.status).toBe(201);
      await flaky.waitFor((r) => r.type === "Create", 15_000);
      await server.settle();
      const after = await scrape();
      const moved = (outcome: string, by?: DeliverySender) =>
        deliveries(after, outcome, by) - deliveries(before, outcome, by);
      expect(moved("refused_5xx", "fedify")).toBeGreaterThanOrEqual(1);
      expect(moved("retried", "fedify")).toBe(1);
      expect(moved("given_up")).toBe(0);
      expect(moved("sent")).toBe(2); // alice at once, otto on the retry
    } finally {
      await flaky.close();
    }
  });

  it("counts a report received and other activity types", async () => {
    const alice = peer.actor("alice");
    const flag = activity(alice, "Flag", [actorId()], { content: "spam" });
    expect((await postSigned(`${server.url}/ap/inbox`, flag, { actor: alice })).status).toBe(202);
    await server.settle();
    const metrics = await scrape();
    expect(metrics.value("tidings_inbox_activities_total", { type: "Flag" })).toBe(1);
    expect(metrics.value("tidings_reports", { state: "open" })).toBe(1);
  });
});
