/**
 * Child processes of the fan-out benchmark: bench/proc.ts children (tracked, stopped by
 * `stopAll()`, SIGKILLed if the bench exits otherwise) that also talk back over Node's IPC
 * channel, one request at a time per id.
 */
import path from "node:path";
import { type Child as ProcessChild, startChild, stopAllChildren } from "../proc.ts";

export const REPO_ROOT = path.resolve(import.meta.dirname, "../..");

export interface Child extends ProcessChild {
  exited(): boolean;
  /** Sends `message` and resolves with the first reply carrying the same `id`. */
  request<T>(message: Record<string, unknown>, timeoutMs?: number): Promise<T>;
}

let nextRequestId = 1;

export interface StartOptions {
  readonly env?: NodeJS.ProcessEnv;
  readonly nodeFlags?: readonly string[];
  /** Echo the child's output to ours, prefixed with its name. */
  readonly echo?: boolean;
}

/** Runs a TypeScript entry point with Node (+ tsx) as a child with an IPC channel. */
export function startNodeChild(name: string, entry: string, options: StartOptions = {}): Child {
  const base = startChild(
    name,
    process.execPath,
    [...(options.nodeFlags ?? []), "--import", "tsx", path.resolve(REPO_ROOT, entry)],
    { cwd: REPO_ROOT, env: options.env, ipc: true, echo: options.echo },
  );
  const exited = () => base.exitStatus() !== undefined;
  const pending = new Map<
    number,
    { resolve: (value: unknown) => void; reject: (e: Error) => void }
  >();
  base.process.on("message", (message: { id?: number; error?: string }) => {
    const waiter = message.id === undefined ? undefined : pending.get(message.id);
    if (!waiter || message.id === undefined) return;
    pending.delete(message.id);
    if (message.error) waiter.reject(new Error(`${name}: ${message.error}`));
    else waiter.resolve(message);
  });
  base.process.once("exit", () => {
    for (const waiter of pending.values()) {
      waiter.reject(new Error(`${name} exited:\n${base.output().slice(-4000)}`));
    }
    pending.clear();
  });

  return {
    ...base,
    exited,
    request<T>(message: Record<string, unknown>, timeoutMs = 120_000): Promise<T> {
      if (exited()) {
        return Promise.reject(new Error(`${name} has exited:\n${base.output().slice(-4000)}`));
      }
      const id = nextRequestId++;
      return new Promise<T>((resolve, reject) => {
        const timer = setTimeout(() => {
          pending.delete(id);
          reject(new Error(`${name}: no answer to ${String(message.type)} in ${timeoutMs} ms`));
        }, timeoutMs);
        pending.set(id, {
          resolve: (value) => {
            clearTimeout(timer);
            resolve(value as T);
          },
          reject: (error) => {
            clearTimeout(timer);
            reject(error);
          },
        });
        base.process.send({ ...message, id });
      });
    },
  };
}

export const stopAll = stopAllChildren;

/** In a child: answers requests from the parent; exits when the parent goes away. */
export function serveParent(
  handle: (message: Record<string, unknown> & { type: string }) => Promise<Record<string, unknown>>,
): void {
  if (!process.send) throw new Error("run this as a child of bench/fanout/run.ts (needs IPC)");
  process.on("message", (message: Record<string, unknown> & { id: number; type: string }) => {
    handle(message).then(
      (reply) => process.send?.({ ...reply, id: message.id }),
      (error: unknown) =>
        process.send?.({
          id: message.id,
          error: error instanceof Error ? (error.stack ?? error.message) : String(error),
        }),
    );
  });
  // The parent died or closed the channel: nothing more to do.
  process.on("disconnect", () => process.exit(0));
}
