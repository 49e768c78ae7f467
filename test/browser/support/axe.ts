import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { Page } from "playwright-core";

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: unknown }[];
}

let axeSource: Promise<string> | undefined;

/** axe-core in the page (through the DevTools protocol, so the page's CSP stays on). */
export async function seriousViolations(page: Page): Promise<AxeViolation[]> {
  axeSource ??= readFile(
    join(import.meta.dirname, "../../../node_modules/axe-core/axe.min.js"),
    "utf8",
  );
  await page.evaluate(await axeSource);
  const violations = await page.evaluate(async () => {
    const axe = (
      globalThis as unknown as { axe: { run(): Promise<{ violations: AxeViolation[] }> } }
    ).axe;
    return (await axe.run()).violations;
  });
  return violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => ({ ...v, nodes: v.nodes.slice(0, 3) }));
}
