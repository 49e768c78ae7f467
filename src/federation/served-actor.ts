import type { Context } from "@fedify/fedify";
import { type Actor, Object as APObject, isActor, type Organization } from "@fedify/vocab";
import type { Feed } from "../domain/feed.ts";
import { toActor } from "./actor.ts";
import type { FederationData } from "./context-data.ts";

interface Served {
  /** The feed version it was built from: keys never change, so its profile is all that can. */
  readonly version: number;
  readonly actor: Promise<Actor>;
}

/** One cache per runtime (its context data), so runtimes on other databases never mix. */
const caches = new WeakMap<FederationData, Map<string, Served>>();

/**
 * The feed's actor as the actor endpoint serves it, compacted once per feed version.
 *
 * Serving an actor built fresh costs ~12 ms of JSON-LD compaction (our actor has parts Fedify
 * cannot compact by hand), and the first delivery to each server makes that server fetch the
 * actor for its key: a cold fan-out to 1,000 servers spent 12 s of CPU there. An actor read back
 * from its own compact JSON-LD keeps that JSON, and Fedify serves it as is.
 */
export function servedActor(
  ctx: Context<FederationData>,
  feed: Feed,
  parts: "full" | "public-parts" = "full",
): Promise<Actor> {
  let cache = caches.get(ctx.data);
  if (!cache) {
    cache = new Map();
    caches.set(ctx.data, cache);
  }
  const version = feed.updatedAt.getTime();
  const key = `${parts}:${feed.slug}`;
  const served = cache.get(key);
  if (served?.version === version) return served.actor;
  const actor = compacted(ctx, feed, parts);
  cache.set(key, { version, actor });
  actor.catch(() => cache.delete(key));
  return actor;
}

async function compacted(
  ctx: Context<FederationData>,
  feed: Feed,
  parts: "full" | "public-parts",
): Promise<Actor> {
  const full = await toActor(ctx, feed);
  // What Mastodon's secure mode shows an unsigned reader: enough to verify and to deliver.
  const built =
    parts === "full"
      ? full
      : new (full.constructor as typeof Organization)({
          id: full.id,
          preferredUsername: full.preferredUsername,
          inbox: full.inboxId,
          endpoints: full.endpoints,
          publicKey: await full.getPublicKey(),
          assertionMethods: await collect(full.getAssertionMethods()),
        });
  const json = await built.toJsonLd({ format: "compact", contextLoader: ctx.contextLoader });
  const parsed = await APObject.fromJsonLd(json, {
    contextLoader: ctx.contextLoader,
    documentLoader: ctx.documentLoader,
  });
  if (!isActor(parsed)) throw new TypeError(`feed ${feed.slug}: compacted actor is not an actor`);
  return parsed;
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const item of items) all.push(item);
  return all;
}
