import { defineConfig } from "vitest/config";

/**
 * `npm run test:browser`: the reader pages and styled feeds in real headless Chromium
 * (Debian's /usr/bin/chromium driven by playwright-core). Not part of `npm test`.
 */
export default defineConfig({
  test: {
    include: ["test/browser/**/*.test.ts"],
    expect: { requireAssertions: true },
    testTimeout: 60_000,
    hookTimeout: 60_000,
    teardownTimeout: 30_000,
    pool: "forks",
    // One Chromium at a time is plenty for a 2-core box.
    fileParallelism: false,
  },
});
