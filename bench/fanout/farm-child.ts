/**
 * The receiving side, in its own process so its CPU is not charged to the sender: a peer farm
 * (test/support/fediverse-peer.ts) of N loopback hosts with shared inboxes, driven over IPC by
 * bench/fanout/run.ts.
 */
import { type PeerFarm, startPeerFarm } from "../../test/support/fediverse-peer.ts";
import { serveParent } from "./children.ts";
import type { FarmActor, FarmReady, FarmSnapshot, FarmStartRequest } from "./protocol.ts";

let farm: PeerFarm | undefined;
/** The first Create any inbox accepted since the last reset, as JSON (for the raw sender). */
let sample: string | undefined;

function current(): PeerFarm {
  if (!farm) throw new Error("the farm has not been started");
  return farm;
}

function snapshot(activityId?: string): FarmSnapshot {
  const f = current();
  return {
    stats: f.stats(),
    hostsReceived: activityId === undefined ? 0 : f.hostsThatReceived(activityId),
    keyFetches: f.peers.reduce((sum, peer) => sum + peer.keyFetcher.fetches, 0),
    at: Date.now(),
  };
}

serveParent(async (message) => {
  switch (message.type) {
    case "start": {
      const request = message as unknown as FarmStartRequest;
      farm = await startPeerFarm({
        hosts: request.hosts,
        actorsPerHost: request.actorsPerHost,
        firstAddress: request.firstAddress,
        retainActivities: false,
        sharedInbox: true,
        // Each host fetches and caches a signer's key itself, like real servers.
        sharedKeyCache: false,
        intercept: (delivery) => {
          if (sample === undefined && delivery.activity.type === "Create") {
            sample = JSON.stringify(delivery.activity);
          }
          return undefined;
        },
      });
      const signer = farm.actors[0];
      if (!signer) throw new Error("the farm has no actors");
      const actors: FarmActor[] = farm.actors.map((actor) => ({
        id: actor.id,
        inbox: actor.inbox,
        sharedInbox: actor.sharedInbox,
      }));
      const ready: FarmReady = {
        actors,
        startupMs: farm.startupMs,
        signer: {
          actorId: signer.id,
          keyId: signer.keyId,
          privateKeyPem: signer.privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
        },
      };
      return { ...ready };
    }
    case "configure": {
      const inboxDelayMs = Number(message.inboxDelayMs);
      for (const peer of current().peers) peer.configure({ inboxDelayMs });
      return {};
    }
    case "clearKeyCaches": {
      for (const peer of current().peers) peer.keyFetcher.clear();
      return {};
    }
    case "reset": {
      current().reset();
      sample = undefined;
      return {};
    }
    case "snapshot":
      return { ...snapshot(message.activityId as string | undefined) };
    case "waitAll": {
      const activityId = String(message.activityId);
      await current().waitForAllHosts(activityId, Number(message.timeoutMs));
      return { ...snapshot(activityId) };
    }
    case "waitDeliveries": {
      const count = Number(message.count);
      const f = current();
      await f.waitUntil(() => f.stats().deliveries >= count, Number(message.timeoutMs));
      return { ...snapshot() };
    }
    case "sample":
      return { body: sample ?? null };
    case "close":
      await farm?.close();
      farm = undefined;
      return {};
    default:
      throw new Error(`unknown request ${message.type}`);
  }
});

process.on("SIGTERM", () => {
  Promise.resolve(farm?.close()).finally(() => process.exit(0));
});
