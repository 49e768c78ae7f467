import { join } from "node:path";

const ROOT = join(import.meta.dirname, "../../..");

/** Where every browser test leaves its screenshots (for looking at a failure). */
export const SCREENSHOTS = join(ROOT, "test-results/screenshots");

/**
 * `DOCS_SCREENSHOTS=1 npm run test:browser` refreshes the README's pictures in docs/screenshots/;
 * undefined otherwise, so an ordinary run never rewrites them.
 */
export const DOCS_SCREENSHOTS =
  process.env.DOCS_SCREENSHOTS === "1" ? join(ROOT, "docs/screenshots") : undefined;
