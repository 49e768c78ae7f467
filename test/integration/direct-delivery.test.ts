import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { MemoryKvStore } from "@fedify/fedify";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  createAddressGuard,
  NonPublicAddressError,
  type Resolver,
} from "../../src/federation/address-guard.ts";
import { DirectDelivery } from "../../src/federation/direct-delivery.ts";
import { FEDIFY_KV_PREFIXES } from "../../src/federation/fedify-internals.ts";
import { silentLogger } from "../../src/logger.ts";
import { createPrometheusMetrics } from "../../src/observability/prometheus.ts";
import {
  generatePeerKeyPair,
  type PeerServer,
  startPeerServer,
} from "../support/fediverse-peer.ts";
import { freePort } from "../support/free-port.ts";
import { parseScrape } from "../support/metrics-text.ts";

const USER_AGENT = "Tidings/0.1.0 (+http://127.0.0.1)";
const SPEC = FEDIFY_KV_PREFIXES.signatureSpec;
const CIRCUIT = FEDIFY_KV_PREFIXES.circuit;
/** The peers here are on loopback: FEDERATION_ALLOW_PRIVATE_ADDRESS, as in every test server. */
const addressGuard = createAddressGuard({ allowPrivateAddress: true });

/**
 * The direct sender against real peers on loopback: what it sends itself (and how it signs),
 * and what it leaves to Fedify, before or after trying.
 */
describe("DirectDelivery", () => {
  const keys = generatePeerKeyPair();
  let keyServer: Server;
  let actor: string;
  let peer: PeerServer;
  let oldMastodon: PeerServer; // refuses RFC 9421, like Mastodon before 4.5
  let kv: MemoryKvStore;
  let delivery: DirectDelivery;
  let sequence = 0;

  beforeAll(async () => {
    // Our side: the feed's actor document, where receivers fetch the signing key.
    keyServer = createServer((_req, res) => {
      res.writeHead(200, { "content-type": "application/activity+json" });
      res.end(
        JSON.stringify({
          "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
          id: actor,
          type: "Organization",
          inbox: `${actor}/inbox`,
          publicKey: { id: `${actor}#main-key`, owner: actor, publicKeyPem: keys.publicKeyPem },
        }),
      );
    });
    await new Promise<void>((resolve) => keyServer.listen(0, "127.0.0.1", resolve));
    actor = `http://127.0.0.1:${(keyServer.address() as AddressInfo).port}/ap/feeds/world`;
    peer = await startPeerServer({ host: "127.0.0.6", actors: ["alice"] });
    oldMastodon = await startPeerServer({ host: "127.0.0.7", actors: ["ann"], rfc9421: "reject" });
  });
  afterAll(async () => {
    delivery?.close();
    await peer?.close();
    await oldMastodon?.close();
    await new Promise((resolve) => keyServer?.close(resolve));
  });
  beforeEach(() => {
    delivery?.close();
    kv = new MemoryKvStore();
    delivery = new DirectDelivery({
      kv,
      addressGuard,
      userAgent: USER_AGENT,
      logger: silentLogger,
    });
  });

  /** A queued outbox message as Fedify 2.3 writes it (keys as JWK, activity as JSON-LD). */
  function outboxMessage(inbox: string, changes: Record<string, unknown> = {}) {
    const activityId = `${actor}/articles/${++sequence}/create`;
    return {
      type: "outbox",
      id: crypto.randomUUID(),
      baseUrl: new URL(actor).origin,
      keys: [{ keyId: `${actor}#main-key`, privateKey: keys.privateKey.export({ format: "jwk" }) }],
      activity: {
        "@context": "https://www.w3.org/ns/activitystreams",
        id: activityId,
        type: "Create",
        actor,
        object: { id: `${actor}/articles/${sequence}`, type: "Note", content: "<p>News</p>" },
      },
      activityId,
      activityType: "https://www.w3.org/ns/activitystreams#Create",
      inbox,
      sharedInbox: true,
      actorIds: [],
      started: new Date().toISOString(),
      attempt: 0,
      headers: {},
      ...changes,
    };
  }

  it("sends with RFC 9421 where Fedify learnt the server takes it", async () => {
    await kv.set([...SPEC, peer.origin], "rfc9421");
    const message = outboxMessage(`${peer.origin}/inbox`);
    expect(await delivery.send(message)).toBe(true);
    const received = await peer.waitFor((r) => r.activityId === message.activityId, 5_000);
    expect(received).toMatchObject({ scheme: "rfc9421", userAgent: USER_AGENT, actor });
    expect(received.activity).toEqual(message.activity);
  });

  it("sends with draft-cavage where that is what the server takes", async () => {
    await kv.set([...SPEC, oldMastodon.origin], "draft-cavage-http-signatures-12");
    const message = outboxMessage(`${oldMastodon.origin}/users/ann/inbox`);
    expect(await delivery.send(message)).toBe(true);
    const received = await oldMastodon.waitFor((r) => r.activityId === message.activityId, 5_000);
    expect(received).toMatchObject({ scheme: "cavage", recipient: "ann", userAgent: USER_AGENT });
  });

  it("leaves a server Fedify has not talked to, a retry, a held message and a circuit with state to Fedify, unsent", async () => {
    const inbox = `${peer.origin}/inbox`;
    const before = peer.received.length + peer.rejected.length;
    expect(await delivery.send(outboxMessage(inbox))).toBe(false); // spec unknown
    await kv.set([...SPEC, peer.origin], "rfc9421");
    expect(await delivery.send(outboxMessage(inbox, { attempt: 1 }))).toBe(false);
    expect(await delivery.send(outboxMessage(inbox, { circuitHeld: true }))).toBe(false);
    expect(await delivery.send(outboxMessage(`${inbox}?page=1`))).toBe(false);
    expect(await delivery.send({ type: "inbox", activity: {} })).toBe(false);
    await kv.set([...CIRCUIT, new URL(inbox).host], { state: "closed", failures: 1 });
    expect(await delivery.send(outboxMessage(inbox))).toBe(false);
    expect(peer.received.length + peer.rejected.length).toBe(before);
  });

  it("hands Fedify a POST the server refused (a stale spec: 401), after trying once", async () => {
    await kv.set([...SPEC, oldMastodon.origin], "rfc9421");
    const refusedBefore = oldMastodon.rejected.length;
    expect(await delivery.send(outboxMessage(`${oldMastodon.origin}/inbox`))).toBe(false);
    expect(oldMastodon.rejected.slice(refusedBefore)).toMatchObject([
      { status: 401, scheme: "rfc9421" },
    ]);
  });

  it("counts what it sent, what was refused, timed out or not connected (metrics on)", async () => {
    const prometheus = createPrometheusMetrics({});
    const counted = new DirectDelivery({
      kv,
      addressGuard,
      userAgent: USER_AGENT,
      logger: silentLogger,
      timeoutMs: 100,
      metrics: prometheus.metrics,
    });
    const closed = `http://127.0.0.1:${await freePort()}`;
    for (const origin of [peer.origin, oldMastodon.origin, closed]) {
      await kv.set([...SPEC, origin], "rfc9421");
    }
    try {
      expect(await counted.send(outboxMessage(`${peer.origin}/inbox`))).toBe(true);
      expect(await counted.send(outboxMessage(`${oldMastodon.origin}/inbox`))).toBe(false);
      expect(await counted.send(outboxMessage(`${closed}/inbox`))).toBe(false);
      peer.configure({ inboxDelayMs: 2_000 });
      expect(await counted.send(outboxMessage(`${peer.origin}/inbox`))).toBe(false);
      // Declined before sending (a retry): not a delivery, not counted.
      expect(await counted.send(outboxMessage(`${peer.origin}/inbox`, { attempt: 1 }))).toBe(false);
    } finally {
      peer.configure({ inboxDelayMs: 0 });
      counted.close();
    }
    const metrics = parseScrape(await prometheus.exposition.render());
    const outcome = (name: string) =>
      metrics.value("tidings_deliveries_total", { sender: "direct", outcome: name });
    expect(["sent", "refused_4xx", "error", "timeout"].map(outcome)).toEqual([1, 1, 1, 1]);
    expect(metrics.value("tidings_deliveries_total")).toBe(4);
    expect(metrics.value("tidings_delivery_duration_seconds_count", { sender: "direct" })).toBe(4);
  });

  it("hands Fedify a POST nobody answered: a closed port, or no answer in time", async () => {
    const closed = `http://127.0.0.1:${await freePort()}`;
    await kv.set([...SPEC, closed], "rfc9421");
    expect(await delivery.send(outboxMessage(`${closed}/inbox`))).toBe(false);

    const slow = new DirectDelivery({
      kv,
      addressGuard,
      userAgent: USER_AGENT,
      logger: silentLogger,
      timeoutMs: 100,
    });
    peer.configure({ inboxDelayMs: 2_000 });
    try {
      await kv.set([...SPEC, peer.origin], "rfc9421");
      const started = Date.now();
      expect(await slow.send(outboxMessage(`${peer.origin}/inbox`))).toBe(false);
      expect(Date.now() - started).toBeLessThan(1_500);
    } finally {
      peer.configure({ inboxDelayMs: 0 });
      slow.close();
    }
  });

  describe("with private addresses refused (production)", () => {
    const strict = (resolve?: Resolver) =>
      new DirectDelivery({
        kv,
        addressGuard: createAddressGuard({
          allowPrivateAddress: false,
          ...(resolve ? { resolve } : {}),
        }),
        userAgent: USER_AGENT,
        logger: silentLogger,
      });

    it("posts nothing to a loopback inbox, however spelt, and fails the message instead of handing it to Fedify", async () => {
      const sender = strict();
      const before = peer.received.length + peer.rejected.length;
      try {
        for (const host of [peer.host, "0x7f.6", "2130706438", "127.6"]) {
          const inbox = `http://${host}:${peer.port}/inbox`;
          await kv.set([...SPEC, new URL(inbox).origin], "rfc9421");
          await expect(sender.send(outboxMessage(inbox))).rejects.toMatchObject({
            name: "NonPublicAddressError",
            verdict: { ok: false, reason: "loopback", address: "127.0.0.6" },
          });
        }
      } finally {
        sender.close();
      }
      expect(peer.received.length + peer.rejected.length).toBe(before);
    });

    it("checks again what a name resolves to when connecting (DNS rebinding)", async () => {
      // Public when the inbox is checked, loopback by the time the connection is made.
      const answers = ["93.184.216.34", peer.host];
      const asked: string[] = [];
      const sender = strict(async (hostname) => {
        asked.push(hostname);
        return [{ address: answers.shift() ?? peer.host, family: 4 }];
      });
      const inbox = `http://rebind.example:${peer.port}/inbox`;
      await kv.set([...SPEC, new URL(inbox).origin], "rfc9421");
      const before = peer.received.length + peer.rejected.length;
      try {
        const sending = sender.send(outboxMessage(inbox));
        await expect(sending).rejects.toBeInstanceOf(NonPublicAddressError);
        await expect(sending).rejects.toMatchObject({
          verdict: { reason: "loopback", address: peer.host },
        });
      } finally {
        sender.close();
      }
      expect(asked).toEqual(["rebind.example", "rebind.example"]);
      expect(peer.received.length + peer.rejected.length).toBe(before);
    });
  });

  it("connects to the addresses the guard resolved (tests: private addresses allowed)", async () => {
    const sender = new DirectDelivery({
      kv,
      addressGuard: createAddressGuard({
        allowPrivateAddress: true,
        resolve: async () => [{ address: peer.host, family: 4 }],
      }),
      userAgent: USER_AGENT,
      logger: silentLogger,
    });
    const inbox = `http://peer.test:${peer.port}/inbox`;
    await kv.set([...SPEC, new URL(inbox).origin], "rfc9421");
    const message = outboxMessage(inbox);
    try {
      expect(await sender.send(message)).toBe(true);
    } finally {
      sender.close();
    }
    expect(await peer.waitFor((r) => r.activityId === message.activityId, 5_000)).toMatchObject({
      scheme: "rfc9421",
    });
  });

  it("gives up on an answer trickled out slower than the timeout allows", async () => {
    // Headers at once, then a byte every 50 ms: never idle, never done.
    const trickler = createServer((_req, res) => {
      res.writeHead(202, { "content-type": "text/plain" });
      const timer = setInterval(() => res.write("."), 50);
      res.once("close", () => clearInterval(timer));
    });
    await new Promise<void>((resolve) => trickler.listen(0, "127.0.0.1", resolve));
    const origin = `http://127.0.0.1:${(trickler.address() as AddressInfo).port}`;
    const slow = new DirectDelivery({
      kv,
      addressGuard,
      userAgent: USER_AGENT,
      logger: silentLogger,
      timeoutMs: 300,
    });
    try {
      await kv.set([...SPEC, origin], "rfc9421");
      const started = Date.now();
      expect(await slow.send(outboxMessage(`${origin}/inbox`))).toBe(false);
      expect(Date.now() - started).toBeLessThan(2_000);
    } finally {
      slow.close();
      trickler.closeAllConnections();
      await new Promise((resolve) => trickler.close(resolve));
    }
  });
});
