import { defineConfig } from "vitest/config";

/**
 * `npm run test:faults`: fault injection against real processes (`npm start`'s entry) and a
 * real PostgreSQL of its own on loopback (test/faults/). One file at a time: each fault stops,
 * starts or floods something, and the figures are only worth anything on a quiet machine.
 */
export default defineConfig({
  test: {
    include: ["test/faults/**/*.test.ts"],
    expect: { requireAssertions: true },
    testTimeout: 300_000,
    hookTimeout: 120_000,
    teardownTimeout: 30_000,
    pool: "forks",
    fileParallelism: false,
  },
});
