import type { BrowserContext, Page } from "playwright-core";
import { expect } from "vitest";

/**
 * Pages that record CSP violations and page errors (a strict CSP must not break our own pages);
 * `closeAll` (in afterEach) fails the test that saw any, and closes its pages.
 */
export function watchedPages(context: () => BrowserContext) {
  const open: Page[] = [];
  const problems = new Map<Page, string[]>();
  return {
    async newPage(): Promise<Page> {
      const page = await context().newPage();
      open.push(page);
      const seen: string[] = [];
      problems.set(page, seen);
      page.on("pageerror", (error) => seen.push(`pageerror: ${error.message}`));
      page.on("console", (message) => {
        if (/Content Security Policy|Refused to/i.test(message.text())) seen.push(message.text());
      });
      return page;
    },
    async closeAll(): Promise<void> {
      for (const page of open.splice(0)) {
        expect(problems.get(page), `console problems on ${page.url()}`).toEqual([]);
        await page.close();
      }
    },
  };
}
