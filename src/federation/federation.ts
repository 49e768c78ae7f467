import {
  createFederationBuilder,
  type DocumentLoader,
  type Federation,
  type FederationBuilder,
  type KvStore,
  type MessageQueue,
} from "@fedify/fedify";
import type { FederationData } from "./context-data.ts";
import type { FedifyDeliveryObserver } from "./delivery-metrics.ts";
import { registerDispatchers } from "./dispatchers.ts";
import { registerInboxListeners } from "./inbox.ts";

/** Registers every dispatcher and listener once; each runtime builds it with its own storage. */
export function tidingsFederationBuilder(
  deliveryObserver?: FedifyDeliveryObserver,
): FederationBuilder<FederationData> {
  const builder = createFederationBuilder<FederationData>();
  registerDispatchers(builder);
  registerInboxListeners(builder);
  // An inbox that answers 404/410 is gone for good: stop delivering to the followers behind it.
  // By inbox, not by the message's actor ids: the relay names one actor per inbox.
  builder.setOutboxPermanentFailureHandler(async (ctx, { inbox, statusCode }) => {
    deliveryObserver?.givenUp(statusCode);
    const removed = await ctx.data.repos.followers.removeByInbox(inbox.href);
    ctx.data.logger.info("removed followers whose inbox is gone", {
      inbox: inbox.href,
      statusCode,
      removed,
    });
  });
  return builder;
}

/** Our name and version as other servers see it (User-Agent). */
export const SOFTWARE = "Tidings/0.1.0";

/** The User-Agent of our own requests: software and the instance to contact. */
export function userAgentFor(publicUrl: string): string {
  return `${SOFTWARE} (+${publicUrl})`;
}

export interface BuildFederationOptions {
  readonly publicUrl: string;
  readonly kv: KvStore;
  readonly queue: MessageQueue;
  /** Tests only: lets Fedify talk to loopback peers. Never relaxes signature checks. */
  readonly allowPrivateAddress: boolean;
  /** Tests only: see FederationRuntimeOptions.documentLoaderForTests. */
  readonly documentLoaderForTests?: DocumentLoader;
  /**
   * Counts and records what Fedify's sender does (retries, failures, given up); unset: Fedify's
   * defaults.
   */
  readonly deliveryObserver?: FedifyDeliveryObserver | undefined;
}

export function buildFederation(
  options: BuildFederationOptions,
): Promise<Federation<FederationData>> {
  const { deliveryObserver } = options;
  return tidingsFederationBuilder(deliveryObserver).build({
    kv: options.kv,
    ...(deliveryObserver
      ? {
          onOutboxError: deliveryObserver.onOutboxError,
          outboxRetryPolicy: deliveryObserver.retryPolicy,
        }
      : {}),
    queue: options.queue,
    origin: options.publicUrl,
    allowPrivateAddress: options.allowPrivateAddress,
    // Consumers are started explicitly: by `npm start` in-process, or by `npm run delivery`.
    manuallyStartQueue: true,
    ...(options.documentLoaderForTests
      ? loadersForTests(options.documentLoaderForTests)
      : { userAgent: { software: SOFTWARE, url: new URL(options.publicUrl) } }),
  });
}

/**
 * One loader for every fetch. Fedify refuses custom loaders together with `userAgent` (it only
 * names us in its own loaders' requests, never in its POSTs), so tests that set one go without.
 */
function loadersForTests(loader: DocumentLoader) {
  return {
    documentLoaderFactory: () => loader,
    contextLoaderFactory: () => loader,
    authenticatedDocumentLoaderFactory: () => loader,
  };
}
