import { type Config, ConfigError, parseConfig } from "../../config.ts";
import type { Hyperdrive, Queue } from "./cloudflare.ts";

/**
 * What wrangler.toml binds to the Worker. Plain variables (`[vars]`) and secrets
 * (`wrangler secret put ADMIN_TOKEN`) arrive as strings next to the bindings.
 */
export interface WorkerEnv {
  /** PostgreSQL through Hyperdrive's pooler. */
  readonly HYPERDRIVE: Hyperdrive;
  /** Producer side of Fedify's message queue (the consumer is this Worker's `queue()`). */
  readonly DELIVERY_QUEUE: Queue;
  readonly [name: string]: unknown;
}

/**
 * The configuration from the Worker's variables and secrets, through the same `parseConfig` as
 * on Node. PUBLIC_URL has no sensible default here (there is no port to derive it from): every
 * actor id is built from it, so its absence is an error.
 */
export function configFromEnv(env: WorkerEnv): Config {
  const strings: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (typeof value === "string") strings[name] = value;
  }
  const config = parseConfig(strings);
  if (!strings.PUBLIC_URL) {
    throw new ConfigError([
      "PUBLIC_URL: must be set on Workers (the https origin readers use, e.g. https://news.example)",
    ]);
  }
  return config;
}
