import { describe, expect, it } from "vitest";
import { BlockList } from "../../src/domain/block-list.ts";
import { type Block, BlockSet, normalizeDomain } from "../../src/domain/blocks.ts";

const block = (
  kind: Block["kind"],
  target: string,
  severity: Block["severity"] = "suspend",
): Block => ({
  id: `${kind}:${target}`,
  kind,
  target,
  severity,
  rejectReports: false,
  comment: null,
  createdAt: new Date(0),
});

describe("domain names as blocks store them", () => {
  it.each([
    ["Spam.Example", "spam.example"],
    ["spam.example.", "spam.example"],
    ["  spam.example ", "spam.example"],
    ["bücher.example", "xn--bcher-kva.example"],
    ["127.0.0.2", "127.0.0.2"],
  ])("%s -> %s", (input, expected) => {
    expect(normalizeDomain(input)).toBe(expected);
  });

  it.each([
    "",
    "https://spam.example",
    "spam.example/path",
    "spam.example:8080",
    "a b.example",
    "@user@spam.example",
    "-bad-.example",
  ])("refuses %j", (input) => {
    expect(normalizeDomain(input)).toBeUndefined();
  });
});

describe("a set of blocks", () => {
  const set = new BlockSet([
    block("domain", "spam.example"),
    block("domain", "noisy.example", "silence"),
    block("actor", "https://ok.example/users/troll"),
  ]);

  it("covers a blocked domain's subdomains, and no look-alike", () => {
    expect(set.isSuspendedHost("spam.example")).toBe(true);
    expect(set.isSuspendedHost("a.b.spam.example")).toBe(true);
    expect(set.isSuspendedHost("notspam.example")).toBe(false);
    expect(set.isSuspendedHost("spam.example.org")).toBe(false);
    expect(set.isSuspendedHost(undefined)).toBe(false);
  });

  it("tells a suspension from a silence, and an actor from its server", () => {
    expect(set.isSuspended("https://SPAM.example/users/x")).toBe(true);
    expect(set.isSuspended("https://noisy.example/users/x")).toBe(false);
    expect(set.blockOf("https://noisy.example/users/x")?.severity).toBe("silence");
    expect(set.isSuspended("https://ok.example/users/troll")).toBe(true);
    expect(set.isSuspended("https://ok.example/users/friend")).toBe(false);
    expect(set.size).toBe(3);
  });
});

describe("the in-memory block list", () => {
  it("loads once, reloads after its time or an invalidation, and keeps the last set through a failure", async () => {
    let now = 0;
    let loads = 0;
    let blocks: Block[] = [block("domain", "spam.example")];
    let failing = false;
    const list = new BlockList(
      async () => {
        loads++;
        if (failing) throw new Error("database away");
        return blocks;
      },
      { ttlMs: 5_000, now: () => now },
    );
    const [a, b] = await Promise.all([list.current(), list.current()]);
    expect(loads).toBe(1);
    expect(a).toBe(b);
    blocks = [...blocks, block("domain", "more.example")];
    now = 4_999;
    expect((await list.current()).isSuspendedHost("more.example")).toBe(false);
    list.invalidate();
    expect((await list.current()).isSuspendedHost("more.example")).toBe(true);
    expect(loads).toBe(2);
    now = 20_000;
    failing = true;
    expect((await list.current()).isSuspendedHost("more.example")).toBe(true);
    await expect(new BlockList(() => Promise.reject(new Error("away"))).current()).rejects.toThrow(
      "away",
    );
  });
});
