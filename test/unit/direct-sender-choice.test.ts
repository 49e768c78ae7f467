import { describe, expect, it } from "vitest";
import { directSenderFor } from "../../src/entries/node/setup.ts";
import { FEDIFY_VERSION_WRITTEN_FOR } from "../../src/federation/fedify-internals.ts";
import { createLogger } from "../../src/logger.ts";

describe("choosing the direct sender at start-up", () => {
  const config = {
    deliverySender: "direct",
    deliverySigning: "thread-pool",
    publicUrl: "https://news.example",
  } as const;
  const capture = () => {
    const lines: string[] = [];
    return { lines, logger: createLogger("info", (line) => lines.push(line)) };
  };

  it("uses it on the Fedify release it reads the queue of", () => {
    const { lines, logger } = capture();
    expect(directSenderFor(config, logger, FEDIFY_VERSION_WRITTEN_FOR).outboxSender).toBeTypeOf(
      "function",
    );
    expect(lines).toEqual([]);
  });

  it("falls back to Fedify's sender on any other release, and says why", () => {
    for (const version of ["2.3.8", "3.0.0", undefined]) {
      const { lines, logger } = capture();
      expect(directSenderFor(config, logger, version).outboxSender).toBeUndefined();
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(
        /WARN DELIVERY_SENDER=direct: .*Fedify's own sender sends every POST/,
      );
    }
  });

  it("is not used when DELIVERY_SENDER=fedify", () => {
    const { lines, logger } = capture();
    const chosen = directSenderFor(
      { ...config, deliverySender: "fedify" },
      logger,
      FEDIFY_VERSION_WRITTEN_FOR,
    );
    expect(chosen.outboxSender).toBeUndefined();
    expect(lines).toEqual([]);
  });
});
