import { describe, expect, it } from "vitest";
import { quoteVerdict } from "../../src/domain/quotes.ts";

describe("quoteVerdict: who may quote a feed's posts (FEP-044f)", () => {
  const stranger = { follows: false, blocked: false };
  const follower = { follows: true, blocked: false };
  const silenced = { follows: true, blocked: true };

  it("approves anyone for everyone, only followers for followers, nobody for nobody", () => {
    expect(quoteVerdict("everyone", stranger)).toEqual({ approved: true });
    expect(quoteVerdict("followers", follower)).toEqual({ approved: true });
    expect(quoteVerdict("followers", stranger)).toEqual({
      approved: false,
      reason: "not-a-follower",
    });
    expect(quoteVerdict("nobody", follower)).toEqual({ approved: false, reason: "policy" });
  });

  it("refuses a blocked requester whatever the policy", () => {
    for (const policy of ["everyone", "followers", "nobody"] as const) {
      expect(quoteVerdict(policy, silenced)).toEqual({ approved: false, reason: "blocked" });
    }
  });
});
