import { createHmac } from "node:crypto";
import { sql } from "kysely";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { DATABASE_KINDS } from "../support/databases.ts";
import { fixtureStoryPush } from "../support/fixture-push.ts";
import { createTestApp, fixedClock, PUBLIC_URL, type TestApp } from "../support/test-app.ts";
import { type Subscriber, startSubscriber } from "../support/websub-subscriber.ts";

const TOPIC = `${PUBLIC_URL}/feeds/world.rss`;
const HUB = `${PUBLIC_URL}/websub`;

/** Resolves once `condition` holds, looking every 20 ms (for state only the database shows). */
async function until(condition: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe.each(DATABASE_KINDS)("WebSub hub on %s", (kind) => {
  let t: TestApp;
  const clock = fixedClock(new Date("2026-11-26T12:00:00Z"));
  const subscribers: Subscriber[] = [];
  let published = 0;

  beforeAll(async () => {
    t = await createTestApp(kind, {
      clock,
      config: { federationAllowPrivateAddress: true },
      // Retries after 300 ms, 600 ms, …: long enough for a test to publish again meanwhile.
      websub: {
        retryDelayMs: 300,
        limits: { subscriptionsPerHost: 6, timeoutMs: 30_000, maxAttempts: 3 },
      },
      runWebSub: true,
    });
  });
  afterEach(async () => {
    await t.deps.websub.idle();
    await t.websubSettled();
    for (const subscriber of subscribers.splice(0)) await subscriber.close();
  });
  afterAll(() => t.destroy());

  const hubRequest = (fields: Record<string, string>) =>
    t.app.request("/websub", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams(fields).toString(),
    });

  const subscriber = async () => {
    const s = await startSubscriber();
    subscribers.push(s);
    return s;
  };

  /** Subscribes and waits until the hub has verified and stored the subscription. */
  const subscribe = async (s: Subscriber, extra: Record<string, string> = {}, topic = TOPIC) => {
    const before = s.verifications.length;
    const response = await hubRequest({
      "hub.mode": "subscribe",
      "hub.topic": topic,
      "hub.callback": `${s.url}/cb`,
      ...extra,
    });
    expect(response.status).toBe(202);
    const verification = await s.verification(before + 1);
    await t.deps.websub.idle();
    return verification;
  };

  /** Asks to unsubscribe (verified in the background, like a subscription). */
  const unsubscribe = (s: Subscriber) =>
    hubRequest({ "hub.mode": "unsubscribe", "hub.topic": TOPIC, "hub.callback": `${s.url}/cb` });

  const publish = async (headline: string, publishedAt?: Date) => {
    published++;
    const push = await t.admin("POST", "/admin/articles", {
      ...fixtureStoryPush(),
      headline,
      externalId: `websub-${published}`,
      feeds: ["world"],
      ...(publishedAt ? { publishedAt: publishedAt.toISOString() } : {}),
    });
    expect(push.status).toBe(201);
  };

  const feedVersion = async () =>
    Number(
      (
        await t.database.db
          .selectFrom("websubFeedVersions")
          .select("version")
          .where("feedSlug", "=", "world")
          .executeTakeFirst()
      )?.version ?? 0,
    );

  const listed = async () => {
    const response = await t.admin("GET", "/admin/websub/subscriptions?feed=world");
    expect(response.status).toBe(200);
    return ((await response.json()) as { items: Record<string, unknown>[] }).items;
  };

  it("advertises the hub: Link headers on every document, and in RSS, Atom and JSON Feed", async () => {
    for (const format of ["rss", "atom", "json"] as const) {
      const response = await t.get(`/feeds/world.${format}`);
      expect(response.headers.get("link")).toBe(
        `<${HUB}>; rel="hub", <${PUBLIC_URL}/feeds/world.${format}>; rel="self"`,
      );
      const body = await response.text();
      if (format === "json") {
        expect((JSON.parse(body) as { hubs: unknown }).hubs).toEqual([
          { type: "WebSub", url: HUB },
        ]);
      } else if (format === "rss") {
        expect(body).toContain(`<atom:link href="${HUB}" rel="hub"/>`);
      } else {
        expect(body).toContain(`<link rel="hub" href="${HUB}"/>`);
      }
    }
  });

  it("verifies intent, then pushes the whole new document, signed, with its type and links", async () => {
    const s = await subscriber();
    const verification = await subscribe(s, { "hub.secret": "s3cret" });
    expect(verification.params.get("hub.mode")).toBe("subscribe");
    expect(verification.params.get("hub.topic")).toBe(TOPIC);
    expect(verification.params.get("hub.lease_seconds")).toBe(String(10 * 24 * 3600));
    expect(verification.params.get("hub.challenge")).toMatch(/^[\w-]{20,}$/);
    const [item] = await listed();
    expect(item).toMatchObject({
      topic: TOPIC,
      callbackHost: new URL(s.url).host,
      state: "active",
      signed: true,
      leaseEndsAt: "2026-12-06T12:00:00.000Z",
      lastDeliveryResult: null,
    });

    await publish("Hub pushes in seconds");
    const delivery = await s.delivery(1);
    expect(delivery.path).toBe("/cb");
    expect(delivery.headers["content-type"]).toBe("application/rss+xml; charset=utf-8");
    expect(delivery.headers.link).toBe(`<${HUB}>; rel="hub", <${TOPIC}>; rel="self"`);
    const expected = createHmac("sha256", "s3cret").update(delivery.body).digest("hex");
    expect(delivery.headers["x-hub-signature"]).toBe(`sha256=${expected}`);
    const served = await (await t.get("/feeds/world.rss")).text();
    expect(delivery.body.toString("utf8")).toBe(served);
    expect(served).toContain("Hub pushes in seconds");
    await t.websubSettled();
    expect((await listed())[0]).toMatchObject({ lastDeliveryResult: "204" });

    // Unsubscribing is verified too; then nothing more arrives.
    const response = await unsubscribe(s);
    expect(response.status).toBe(202);
    const goodbye = await s.verification(2);
    expect(goodbye.params.get("hub.mode")).toBe("unsubscribe");
    await t.deps.websub.idle();
    expect(await listed()).toEqual([]);
    await publish("Nobody hears this");
    await t.websubSettled();
    expect(s.deliveries).toHaveLength(1);
  });

  it("stores nothing when the challenge is not echoed", async () => {
    const s = await subscriber();
    s.verifyAnswer = "wrong";
    await subscribe(s);
    expect(await listed()).toEqual([]);
  });

  it("answers denied for a topic that is not one of its feed documents", async () => {
    const s = await subscriber();
    const denied = await subscribe(s, {}, `${PUBLIC_URL}/feeds/no-such-feed.rss`);
    expect(denied.params.get("hub.mode")).toBe("denied");
    expect(denied.params.get("hub.reason")).toBeTruthy();
    const elsewhere = await subscribe(s, {}, "https://elsewhere.example/feed.xml");
    expect(elsewhere.params.get("hub.mode")).toBe("denied");
    expect(await listed()).toEqual([]);
  });

  it("clamps leases, renews them, and drops a lease that ran out", async () => {
    const s = await subscriber();
    const short = await subscribe(s, { "hub.lease_seconds": "10" });
    expect(short.params.get("hub.lease_seconds")).toBe("3600");
    const long = await subscribe(s, { "hub.lease_seconds": "99999999" });
    expect(long.params.get("hub.lease_seconds")).toBe(String(30 * 24 * 3600));
    // Renewed: still one subscription, with the new lease.
    const renewed = await subscribe(s, { "hub.lease_seconds": "7200" });
    expect(renewed.params.get("hub.lease_seconds")).toBe("7200");
    const items = await listed();
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ leaseEndsAt: "2026-11-26T14:00:00.000Z" });

    clock.advance(7201_000);
    try {
      expect((await listed())[0]).toMatchObject({ state: "expired" });
      await publish("After the lease");
      await t.websubSettled();
      expect(s.deliveries).toHaveLength(0);
      expect(await listed()).toEqual([]);
    } finally {
      clock.set(new Date("2026-11-26T12:00:00Z"));
    }
  });

  it("removes a subscription whose callback answers 410 Gone", async () => {
    const s = await subscriber();
    await subscribe(s);
    s.deliveryAnswers.push(410);
    await publish("Gone reader");
    await s.delivery(1);
    await t.websubSettled();
    expect(await listed()).toEqual([]);
  });

  it("retries a subscriber that answered 500 and then gives it the newest document once", async () => {
    const s = await subscriber();
    await subscribe(s);
    s.deliveryAnswers.push(500);
    await publish("First version");
    const failed = await s.delivery(1);
    expect(failed.body.toString()).toContain("First version");
    // Published while the failed delivery waits for its retry (300 ms): the retry carries it.
    await publish("Second version");
    const retried = await s.delivery(2);
    await t.websubSettled();
    expect(s.deliveries).toHaveLength(2);
    const body = retried.body.toString();
    expect(body).toContain("Second version");
    expect(body).toContain("First version");
    const [item] = await listed();
    expect(item).toMatchObject({ lastDeliveryResult: "204" });
    await unsubscribe(s);
  });

  it("coalesces: a subscriber still busy with one document gets only the newest after it", async () => {
    const s = await subscriber();
    await subscribe(s);
    s.deliveryAnswers.push("hold");
    await publish("Coalesce one");
    const first = await s.delivery(1);
    expect(first.body.toString()).toContain("Coalesce one");
    // Three more changes while the first POST is unanswered: one delivery follows, the newest.
    const before = await feedVersion();
    await publish("Coalesce two");
    await publish("Coalesce three");
    await publish("Coalesce four");
    // Each change raised the feed's version as its topic job ran; none queued a second job.
    await until(async () => (await feedVersion()) === before + 3);
    s.releaseHeld(204);
    const second = await s.delivery(2);
    await t.websubSettled();
    expect(s.deliveries).toHaveLength(2);
    expect(second.body.toString()).toContain("Coalesce four");
    expect(second.body.toString()).toContain("Coalesce two");
    await unsubscribe(s);
  });

  it("gives up after its tries, and the next change tries again", async () => {
    const s = await subscriber();
    await subscribe(s);
    s.deliveryAnswers.push(503, 503, 503);
    await publish("Nobody home");
    // 300 ms, then 600 ms between the three tries (maxAttempts 3 here; 6 by default).
    await s.delivery(3);
    await until(async () => (await listed())[0]?.lastDeliveryResult === "503");
    await t.websubSettled();
    expect(s.deliveries).toHaveLength(3);
    await publish("Home again");
    const delivered = await s.delivery(4);
    expect(delivered.body.toString()).toContain("Home again");
    await t.websubSettled();
    expect(s.deliveries).toHaveLength(4);
    expect((await listed())[0]).toMatchObject({ lastDeliveryResult: "204" });
    await unsubscribe(s);
  });

  it("pushes an embargoed story when it goes public, not before", async () => {
    const s = await subscriber();
    await subscribe(s);
    await publish("Before the embargo");
    await s.delivery(1);
    await t.websubSettled();
    await publish("Embargoed until a second from now", new Date(clock.now().getTime() + 1_000));
    // The change itself leaves the document as it was: nothing is sent, a topic job waits.
    await until(async () => {
      const { rows } = await sql<{ n: number }>`
        select count(*)::int as n from fedify_messages
        where queue = 'websub' and available_at > now()`.execute(t.database.db);
      return rows[0]?.n === 1;
    });
    await t.websubSettled();
    expect(s.deliveries).toHaveLength(1);
    clock.advance(1_000);
    try {
      const released = await s.delivery(2);
      expect(released.body.toString()).toContain("Embargoed until a second from now");
      await t.websubSettled();
      expect(s.deliveries).toHaveLength(2);
    } finally {
      clock.set(new Date("2026-11-26T12:00:00Z"));
    }
    await unsubscribe(s);
  });

  it("does not let a hanging subscriber delay another", async () => {
    const hanging = await subscriber();
    const healthy = await subscriber();
    await subscribe(hanging);
    await subscribe(healthy);
    hanging.deliveryAnswers.push("hang");
    await publish("Fast for some");
    await hanging.delivery(1);
    const delivered = await healthy.delivery(1);
    expect(delivered.body.toString()).toContain("Fast for some");
    // The hanging one is still unanswered; closing it ends that delivery (as a failure).
    await hanging.close();
    await healthy.close();
    for (const s of [hanging, healthy]) await unsubscribe(s);
  });

  it("refuses bad requests with problem+json naming the field", async () => {
    const cases: [Record<string, string>, string][] = [
      [
        { "hub.mode": "follow", "hub.topic": TOPIC, "hub.callback": "https://a.example/" },
        "/hub.mode",
      ],
      [
        { "hub.mode": "subscribe", "hub.topic": TOPIC, "hub.callback": "ftp://a.example/" },
        "/hub.callback",
      ],
      [{ "hub.mode": "subscribe", "hub.callback": "https://a.example/" }, "/hub.topic"],
      [
        {
          "hub.mode": "subscribe",
          "hub.topic": TOPIC,
          "hub.callback": "https://a.example/",
          "hub.secret": "x".repeat(200),
        },
        "/hub.secret",
      ],
      [
        {
          "hub.mode": "subscribe",
          "hub.topic": TOPIC,
          "hub.callback": "https://a.example/",
          "hub.lease_seconds": "soon",
        },
        "/hub.lease_seconds",
      ],
    ];
    for (const [fields, pointer] of cases) {
      const response = await hubRequest(fields);
      expect(response.status).toBe(422);
      expect(response.headers.get("content-type")).toContain("application/problem+json");
      const body = (await response.json()) as { errors: { pointer: string }[] };
      expect(body.errors.map((error) => error.pointer)).toEqual([pointer]);
    }
    const json = await t.app.request("/websub", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    expect(json.status).toBe(415);
  });

  it("limits the subscriptions one callback host holds", async () => {
    const s = await subscriber();
    for (let i = 0; i < 6; i++) {
      const response = await hubRequest({
        "hub.mode": "subscribe",
        "hub.topic": TOPIC,
        "hub.callback": `${s.url}/cb/${i}`,
      });
      expect(response.status).toBe(202);
      await s.verification(i + 1);
      await t.deps.websub.idle();
    }
    const over = await hubRequest({
      "hub.mode": "subscribe",
      "hub.topic": TOPIC,
      "hub.callback": `${s.url}/cb/7`,
    });
    expect(over.status).toBe(429);
    const body = (await over.json()) as { errors: { pointer: string }[] };
    expect(body.errors[0]?.pointer).toBe("/hub.callback");
    expect(s.verifications).toHaveLength(6);
  });
});

describe("WebSub hub without the private-address allowance", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp("pglite");
  });
  afterAll(() => t.destroy());

  it("refuses callbacks on loopback, private and link-local addresses", async () => {
    for (const callback of [
      "http://127.0.0.1:9/cb",
      "http://10.0.0.8/cb",
      "http://169.254.169.254/latest",
      "http://[::1]/cb",
      "http://localhost/cb",
    ]) {
      const response = await t.app.request("/websub", {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({
          "hub.mode": "subscribe",
          "hub.topic": TOPIC,
          "hub.callback": callback,
        }).toString(),
      });
      expect(response.status).toBe(422);
      const body = (await response.json()) as { errors: { pointer: string }[] };
      expect(body.errors[0]?.pointer).toBe("/hub.callback");
    }
  });
});

describe("WebSub hub at its subscription limit", () => {
  let t: TestApp;
  const subscribers: Subscriber[] = [];
  beforeAll(async () => {
    t = await createTestApp("pglite", {
      config: { federationAllowPrivateAddress: true },
      websub: { limits: { subscriptions: 2 } },
    });
  });
  afterAll(async () => {
    for (const s of subscribers) await s.close();
    await t.destroy();
  });

  const subscribe = (s: Subscriber) =>
    t.app.request("/websub", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        "hub.mode": "subscribe",
        "hub.topic": TOPIC,
        "hub.callback": `${s.url}/cb`,
      }).toString(),
    });

  it("takes no subscription past WEBSUB_MAX_SUBSCRIPTIONS, whatever the host, but renews", async () => {
    for (let i = 0; i < 3; i++) subscribers.push(await startSubscriber());
    const [first, second, third] = subscribers as [Subscriber, Subscriber, Subscriber];
    for (const s of [first, second]) {
      expect((await subscribe(s)).status).toBe(202);
      await s.verification(1);
      await t.deps.websub.idle();
    }
    const over = await subscribe(third);
    expect(over.status).toBe(503);
    expect(over.headers.get("content-type")).toContain("application/problem+json");
    expect(over.headers.get("retry-after")).toBe("3600");
    const body = (await over.json()) as { errors: { pointer: string }[] };
    expect(body.errors[0]?.pointer).toBe("/hub.topic");
    expect(third.verifications).toHaveLength(0);
    // A renewal is no new subscription.
    expect((await subscribe(first)).status).toBe(202);
    await first.verification(2);
  });
});
