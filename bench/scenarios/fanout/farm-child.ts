/**
 * The receiving side, in its own process so that its CPU is not charged to the sender: a peer
 * farm (test/support/fediverse-peer.ts) of N loopback hosts with shared inboxes, each of which
 * verifies every signature and fetches and caches the sender's key itself, like real servers.
 * Driven over IPC by the fan-out scenario.
 */
import { type PeerFarm, startPeerFarm } from "../../../test/support/fediverse-peer.ts";
import { serveParent } from "../../harness/children.ts";
import type { FarmReady, FarmSnapshot } from "./protocol.ts";

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
      farm = await startPeerFarm({
        hosts: Number(message.hosts),
        actorsPerHost: Number(message.actorsPerHost),
        firstAddress: String(message.firstAddress),
        retainActivities: false,
        sharedInbox: true,
        sharedKeyCache: false,
        intercept: (delivery) => {
          if (sample === undefined && delivery.activity.type === "Create")
            sample = JSON.stringify(delivery.activity);
          return undefined;
        },
      });
      const [signer] = farm.actors;
      if (!signer) throw new Error("the farm has no actors");
      const privateKeyPem = signer.privateKey.export({ type: "pkcs8", format: "pem" }).toString();
      return {
        actors: farm.actors.map(({ id, inbox, sharedInbox }) => ({ id, inbox, sharedInbox })),
        startupMs: farm.startupMs,
        signer: { actorId: signer.id, keyId: signer.keyId, privateKeyPem },
      } satisfies FarmReady;
    }
    case "configure":
      for (const peer of current().peers)
        peer.configure({ inboxDelayMs: Number(message.inboxDelayMs) });
      return {};
    case "clearKeyCaches":
      for (const peer of current().peers) peer.keyFetcher.clear();
      return {};
    case "reset":
      current().reset();
      sample = undefined;
      return {};
    case "snapshot":
      return snapshot(message.activityId === undefined ? undefined : String(message.activityId));
    case "waitAll":
      await current().waitForAllHosts(String(message.activityId), Number(message.timeoutMs));
      return snapshot(String(message.activityId));
    case "sample":
      return { body: sample ?? null };
    default:
      throw new Error(`unknown request ${message.type}`);
  }
});

process.on("SIGTERM", () => {
  Promise.resolve(farm?.close()).finally(() => process.exit(0));
});
