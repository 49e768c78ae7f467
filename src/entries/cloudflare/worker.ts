/**
 * Cloudflare Workers entry (wrangler.toml): HTTP requests, Fedify's queue consumer and the
 * Cron Trigger. Everything is built once per isolate from the Worker's `env`; each invocation
 * gets its own PostgreSQL connections through Hyperdrive (see src/entries/cloudflare/invocation-scope.ts).
 */
import { ConfigError } from "../../config.ts";
import type { ExecutionContext, MessageBatch, ScheduledController } from "./cloudflare.ts";
import type { WorkerEnv } from "./env.ts";
import { runHousekeeping } from "./housekeeping.ts";
import { currentInvocation, runInvocation } from "./invocation-scope.ts";
import { consumeBatch } from "./queue-consumer.ts";
import { createWorkerRuntime, type WorkerRuntime } from "./worker-runtime.ts";

let runtime: Promise<WorkerRuntime> | undefined;

/** The isolate's runtime, built on first use; a failed build is retried by the next invocation. */
function runtimeFor(env: WorkerEnv): Promise<WorkerRuntime> {
  runtime ??= createWorkerRuntime(env).catch((error: unknown) => {
    runtime = undefined;
    throw error;
  });
  return runtime;
}

function invoke<T>(
  env: WorkerEnv,
  ctx: ExecutionContext,
  started: WorkerRuntime,
  fn: () => Promise<T>,
): Promise<T> {
  return runInvocation(
    env.HYPERDRIVE.connectionString,
    ctx,
    (error) => started.logger.error("work after the response failed", { error }),
    fn,
  );
}

export default {
  async fetch(request: Request, env: WorkerEnv, ctx: ExecutionContext): Promise<Response> {
    let started: WorkerRuntime;
    try {
      started = await runtimeFor(env);
    } catch (error) {
      // Misconfiguration: say what is wrong in the log, never to the client.
      console.error(error instanceof ConfigError ? error.message : error);
      return new Response("Tidings is misconfigured; see the Worker's logs\n", { status: 500 });
    }
    return invoke(env, ctx, started, async () => {
      const key = started.edgeCache.keyOf(request);
      if (key === undefined) return started.app.fetch(request);
      return started.edgeCache.serve(
        request,
        key,
        async (origin) => started.app.fetch(origin),
        (work) => currentInvocation().defer(work),
      );
    });
  },

  async queue(batch: MessageBatch, env: WorkerEnv, ctx: ExecutionContext): Promise<void> {
    const started = await runtimeFor(env);
    await invoke(env, ctx, started, async () => {
      await consumeBatch(batch, started.processQueuedTask, started.logger);
      // The batch's outcomes, in one statement: no timer outlives the invocation.
      await started.federation.flushDeliveryRecord();
    });
  },

  async scheduled(
    _controller: ScheduledController,
    env: WorkerEnv,
    ctx: ExecutionContext,
  ): Promise<void> {
    const started = await runtimeFor(env);
    await invoke(env, ctx, started, async () => {
      await runHousekeeping(
        started.db,
        started.federation.relay,
        started.logger,
        started.drainWebSub,
        started.federation.pruneDeliveryRecord,
      );
    });
  },
};
