/**
 * The inbox flood's sender, in a process of its own: the test's process measures publishing and
 * feed reads meanwhile, and a flood sent from that same event loop delayed its own reads (on a
 * slow phase of the 2-core machine a feed read's p99 went from 189 to 755 ms, the server's share
 * of it unknown). Reads the signed requests from the JSON file named by argv[2], sends them at
 * argv[3] a second, and prints the statuses and failures as one line of JSON once all answered.
 */
import { readFileSync } from "node:fs";

interface SignedRequest {
  readonly url: string;
  readonly body: string;
  readonly headers: Record<string, string>;
}

const [file, rate] = process.argv.slice(2);
if (!file || !rate) throw new Error("usage: flood-child.ts REQUESTS.json RATE_PER_SECOND");
const requests = JSON.parse(readFileSync(file, "utf8")) as SignedRequest[];
const ratePerSecond = Number(rate);

const statuses: Record<string, number> = {};
const failures: Record<string, number> = {};
const inFlight = new Set<Promise<void>>();
const startedAt = performance.now();
let sent = 0;
while (sent < requests.length) {
  const due = Math.floor(((performance.now() - startedAt) / 1000) * ratePerSecond);
  while (sent < Math.min(due, requests.length)) {
    const request = requests[sent++];
    if (!request) break;
    const answered: Promise<void> = fetch(request.url, {
      method: "POST",
      headers: request.headers,
      body: request.body,
    })
      .then(async (response) => {
        await response.arrayBuffer();
        statuses[response.status] = (statuses[response.status] ?? 0) + 1;
      })
      .catch((error: Error) => {
        statuses[0] = (statuses[0] ?? 0) + 1;
        const cause = error.cause as { code?: string; message?: string } | undefined;
        const reason = cause?.code ?? cause?.message ?? error.message;
        failures[reason] = (failures[reason] ?? 0) + 1;
      })
      .finally(() => inFlight.delete(answered));
    inFlight.add(answered);
  }
  await new Promise((resolve) => setTimeout(resolve, 5));
}
await Promise.all(inFlight);
const seconds = (performance.now() - startedAt) / 1000;
process.stdout.write(`${JSON.stringify({ statuses, failures, seconds })}\n`);
