import { defineConfig } from "vitest/config";

/**
 * `npm run test:worker`: the Worker (src/entries/cloudflare/worker.ts) under local workerd via `wrangler dev`,
 * against the same throwaway PostgreSQL as `npm test` (test/global-setup.ts).
 */
export default defineConfig({
  test: {
    include: ["test/worker/**/*.test.ts"],
    globalSetup: ["test/global-setup.ts"],
    expect: { requireAssertions: true },
    // Bundling and starting workerd takes a few seconds; deliveries go through local Queues.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    teardownTimeout: 30_000,
    pool: "forks",
    // One wrangler dev at a time is plenty for a 2-core box.
    fileParallelism: false,
  },
});
