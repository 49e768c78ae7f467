import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // The Worker e2e tests start wrangler dev (workerd): `npm run test:worker`, its own config.
    // Real Chromium, with its own config: `npm run test:browser` (vitest.browser.config.ts).
    // Fault injection (stops PostgreSQL, floods the inbox): `npm run test:faults`, its own config.
    exclude: ["test/worker/**", "test/browser/**", "test/faults/**", "**/node_modules/**"],
    // Starts a throwaway PostgreSQL cluster (or uses TEST_DATABASE_URL) and provides
    // `postgresAdminUrl` to the tests; see test/global-setup.ts.
    globalSetup: ["test/global-setup.ts"],
    // A test that never reaches an `expect` fails instead of passing vacuously.
    expect: { requireAssertions: true },
    // Tests wait on events, each wait bounded; a test that still hangs fails here.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    teardownTimeout: 30_000,
    // Separate processes: PGlite's WASM heap and pg pools stay per file. The default
    // worker count (CPUs - 1) leaves a core for the PostgreSQL server on a 2-core CI box.
    pool: "forks",
    // As `npm start` runs (package.json): AsyncLocalStorage on V8's context frames, not on
    // async_hooks, so the tests see the same context propagation as production.
    execArgv: ["--experimental-async-context-frame"],
    fileParallelism: true,
  },
});
