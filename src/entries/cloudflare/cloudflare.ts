/**
 * The few Cloudflare Workers APIs Tidings uses, declared here instead of pulling in
 * `@cloudflare/workers-types`, whose globals clash with the DOM and Node types the rest of the
 * project compiles against. Shapes follow the Workers runtime documentation.
 */

export interface ExecutionContext {
  waitUntil(promise: Promise<unknown>): void;
  passThroughOnException(): void;
}

export interface Hyperdrive {
  /** A connection string to Hyperdrive's pooler, valid for the current invocation. */
  readonly connectionString: string;
}

/** A Queue producer binding (declared with the queue adapter that sends through it). */
export type { Queue } from "../../fedify-kysely/index.ts";

export interface QueueMessage<Body = unknown> {
  readonly id: string;
  readonly timestamp: Date;
  readonly body: Body;
  /** 1 on the first delivery. */
  readonly attempts: number;
  ack(): void;
  retry(options?: { readonly delaySeconds?: number }): void;
}

export interface MessageBatch<Body = unknown> {
  readonly queue: string;
  readonly messages: readonly QueueMessage<Body>[];
}

export interface ScheduledController {
  readonly scheduledTime: number;
  readonly cron: string;
}

/** The Workers Cache API's own cache (`caches.default`), absent from the DOM typings. */
export function defaultCache(): Cache {
  return (globalThis.caches as unknown as { default: Cache }).default;
}
