import { describe, expect, it } from "vitest";
import { type DeliveryAttempt, DeliveryRecorder } from "../../src/federation/delivery-recorder.ts";
import { silentLogger } from "../../src/logger.ts";
import type { HostOutcome } from "../../src/storage/delivery-record-store.ts";

const at = new Date("2026-12-01T10:00:00Z");

/** A store that keeps each batch it is given, or fails while told to. */
function recordingStore() {
  const batches: HostOutcome[][] = [];
  let failing = false;
  return {
    batches,
    fail(on: boolean) {
      failing = on;
    },
    async recordOutcomes(outcomes: readonly HostOutcome[]) {
      if (failing) throw new Error("database unavailable");
      batches.push([...outcomes]);
    },
  };
}

const attempt = (inbox: string, status: string, extra: Partial<DeliveryAttempt> = {}) => ({
  activityId: "https://news.example/ap/a/create",
  inbox,
  status,
  delivered: status.startsWith("2"),
  givenUp: false,
  ...extra,
});

describe("the delivery recorder", () => {
  it("folds outcomes per activity and host, and writes them as one batch", async () => {
    const store = recordingStore();
    const recorder = new DeliveryRecorder(store, { logger: silentLogger, now: () => at });
    recorder.record(attempt("https://a.example/users/ann/inbox", "202"));
    recorder.record(attempt("https://a.example/users/ben/inbox", "503"));
    recorder.record(attempt("https://b.example/inbox", "410", { givenUp: true }));
    recorder.record(attempt("not a url", "202"));
    recorder.record(attempt("https://c.example/inbox", "202", { activityId: undefined }));
    await recorder.flush();
    expect(store.batches).toHaveLength(1);
    const byHost = new Map(store.batches[0]?.map((o) => [o.host, o]));
    expect(byHost.get("a.example")).toEqual({
      activityId: "https://news.example/ap/a/create",
      host: "a.example",
      delivered: 1,
      givenUp: 0,
      attempts: 2,
      lastStatus: "503",
      lastAttemptAt: at,
      lastSuccessAt: at,
      lastFailureAt: at,
    });
    expect(byHost.get("b.example")).toMatchObject({ delivered: 0, givenUp: 1, lastStatus: "410" });
    expect(byHost.size).toBe(2);
    await recorder.flush();
    expect(store.batches).toHaveLength(1); // nothing new: no statement
  });

  it("writes by itself after a short delay, or at once when a batch is full", async () => {
    const store = recordingStore();
    const recorder = new DeliveryRecorder(store, {
      logger: silentLogger,
      flushDelayMs: 20,
      maxPending: 3,
    });
    recorder.record(attempt("https://a.example/inbox", "202"));
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(store.batches.map((batch) => batch.length)).toEqual([1]);
    for (const host of ["b", "c", "d"])
      recorder.record(attempt(`https://${host}.example/inbox`, "202"));
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(store.batches.map((batch) => batch.length)).toEqual([1, 3]);
  });

  it("while a batch is being written, a full one waits for it rather than a write per outcome", async () => {
    let release = () => {};
    const batches: number[] = [];
    const slowStore = {
      async recordOutcomes(outcomes: readonly HostOutcome[]) {
        batches.push(outcomes.length);
        if (batches.length === 1) await new Promise<void>((resolve) => (release = resolve));
      },
    };
    const recorder = new DeliveryRecorder(slowStore, { logger: silentLogger, maxPending: 2 });
    for (let host = 0; host < 12; host++) {
      recorder.record(attempt(`https://h${host}.example/inbox`, "202"));
    }
    await new Promise((resolve) => setTimeout(resolve, 0));
    release();
    await recorder.flush();
    expect(batches).toEqual([2, 10]);
  });

  it("keeps a batch whose write failed for the next one, merged with what came since", async () => {
    const store = recordingStore();
    const recorder = new DeliveryRecorder(store, { logger: silentLogger, now: () => at });
    store.fail(true);
    recorder.record(attempt("https://a.example/inbox", "503"));
    await recorder.flush();
    expect(store.batches).toHaveLength(0);
    store.fail(false);
    recorder.record(attempt("https://a.example/inbox", "202"));
    await recorder.flush();
    expect(store.batches).toEqual([
      [
        expect.objectContaining({
          host: "a.example",
          delivered: 1,
          attempts: 2,
          lastStatus: "202",
          lastSuccessAt: at,
          lastFailureAt: at,
        }),
      ],
    ]);
  });
});
