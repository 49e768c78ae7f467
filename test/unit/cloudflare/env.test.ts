import { describe, expect, it } from "vitest";
import { ConfigError } from "../../../src/config.ts";
import { configFromEnv, type WorkerEnv } from "../../../src/entries/cloudflare/env.ts";

const bindings = {
  HYPERDRIVE: { connectionString: "postgres://user:secret@hyperdrive.local:5432/db" },
  DELIVERY_QUEUE: { send: async () => {}, sendBatch: async () => {} },
};

describe("configFromEnv", () => {
  it("reads the Worker's variables and secrets with the Node config parser, ignoring bindings", () => {
    const config = configFromEnv({
      ...bindings,
      PUBLIC_URL: "https://news.example",
      ADMIN_TOKEN: "0123456789abcdef0123",
      FEED_ITEM_LIMIT: "20",
    } as WorkerEnv);
    expect(config.publicUrl).toBe("https://news.example");
    expect(config.adminToken).toBe("0123456789abcdef0123");
    expect(config.feedItemLimit).toBe(20);
    expect(config.federationAllowPrivateAddress).toBe(false);
  });

  it("insists on PUBLIC_URL, which every actor id is built from", () => {
    expect(() => configFromEnv(bindings as unknown as WorkerEnv)).toThrow(ConfigError);
    expect(() =>
      configFromEnv({ ...bindings, PUBLIC_URL: "https://news.example/path" } as WorkerEnv),
    ).toThrow(/PUBLIC_URL/);
  });
});
