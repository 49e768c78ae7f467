import { SendActivityError } from "@fedify/fedify";
import { describe, expect, it } from "vitest";
import { failureOutcome } from "../../src/federation/delivery-metrics.ts";
import { outcomeOfStatus } from "../../src/observability/metrics.ts";

describe("delivery outcomes", () => {
  it("names an answer by its status class", () => {
    expect([200, 202, 404, 429, 500, 503, 302].map(outcomeOfStatus)).toEqual([
      "sent",
      "sent",
      "refused_4xx",
      "refused_4xx",
      "refused_5xx",
      "refused_5xx",
      "refused_other",
    ]);
  });

  it("tells Fedify's refusals, timeouts and other failures apart", () => {
    const inbox = new URL("https://mastodon.example/inbox");
    expect(failureOutcome(new SendActivityError(inbox, 410, "gone", ""))).toBe("refused_4xx");
    expect(failureOutcome(new SendActivityError(inbox, 502, "bad gateway", ""))).toBe(
      "refused_5xx",
    );
    expect(failureOutcome(new DOMException("The operation timed out.", "TimeoutError"))).toBe(
      "timeout",
    );
    const wrapped = new TypeError("fetch failed", { cause: new Error("connect ETIMEDOUT") });
    expect(failureOutcome(wrapped)).toBe("timeout");
    expect(
      failureOutcome(new TypeError("fetch failed", { cause: new Error("ECONNREFUSED") })),
    ).toBe("error");
  });
});
