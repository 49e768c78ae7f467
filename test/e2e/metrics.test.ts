import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { metricsListener } from "../../src/entries/node/metrics.ts";
import { createPrometheusMetrics } from "../../src/observability/prometheus.ts";
import { DATABASE_KINDS } from "../support/databases.ts";
import { parseScrape } from "../support/metrics-text.ts";
import { createTestApp, type TestApp } from "../support/test-app.ts";

const METRICS_TOKEN = "metrics-token-0123456789abcdef";

describe.each(DATABASE_KINDS)("GET /metrics on %s", (kind) => {
  let off: TestApp;
  let on: TestApp;

  beforeAll(async () => {
    [off, on] = await Promise.all([
      createTestApp(kind),
      createTestApp(kind, { metricsToken: METRICS_TOKEN }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([off?.destroy(), on?.destroy()]);
  });

  const scrape = async (app = on) => {
    const response = await app.get("/metrics", { authorization: `Bearer ${METRICS_TOKEN}` });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(response.headers.get("cache-control")).toBe("no-store");
    return parseScrape(await response.text());
  };

  it("is not there when METRICS_TOKEN is unset", async () => {
    const response = await off.get("/metrics", { accept: "application/json" });
    expect(response.status).toBe(404);
    const withToken = await off.get("/metrics", { authorization: `Bearer ${METRICS_TOKEN}` });
    expect(withToken.status).toBe(404);
  });

  it("refuses a request without the token, or with a wrong one, as problem+json", async () => {
    const attempts: Record<string, string>[] = [
      {},
      { authorization: "Bearer wrong-token-0123456789abcdef" },
      { authorization: METRICS_TOKEN },
    ];
    for (const headers of attempts) {
      const response = await on.get("/metrics", headers);
      expect(response.status).toBe(401);
      expect(response.headers.get("content-type")).toBe("application/problem+json");
      expect(response.headers.get("www-authenticate")).toMatch(/^Bearer/);
      const body = (await response.json()) as { status: number; detail: string };
      expect(body.status).toBe(401);
      expect(body.detail).toMatch(/token/);
    }
    // The admin token is not the metrics token.
    const admin = await on.get("/metrics", {
      authorization: "Bearer test-admin-token-0123456789abcdef",
    });
    expect(admin.status).toBe(401);
  });

  it("names every metric with its type", async () => {
    const metrics = await scrape();
    const families: Record<string, string> = {
      tidings_http_requests_total: "counter",
      tidings_http_request_duration_seconds: "histogram",
      tidings_feed_render_duration_seconds: "histogram",
      tidings_deliveries_total: "counter",
      tidings_delivery_duration_seconds: "histogram",
      tidings_inbox_activities_total: "counter",
      tidings_queue_depth: "gauge",
      tidings_queue_oldest_message_age_seconds: "gauge",
      tidings_outbox_pending: "gauge",
      tidings_followers: "gauge",
      tidings_reports: "gauge",
      tidings_blocks: "gauge",
      tidings_metrics_database_up: "gauge",
    };
    for (const [name, type] of Object.entries(families))
      expect(metrics.type(name), name).toBe(type);
    expect(metrics.value("tidings_metrics_database_up")).toBe(1);
    // Every feed has a followers gauge, zero to start with.
    expect(metrics.value("tidings_followers", { feed: "world" })).toBe(0);
  });

  it("counts requests by route pattern and status, and times them", async () => {
    const before = await scrape();
    const labels = { method: "GET", route: "/feeds/:file", status: "200" };
    expect((await on.get("/feeds/world.rss")).status).toBe(200);
    expect((await on.get("/feeds/world.atom")).status).toBe(200);
    expect((await on.get("/feeds/nothing-here.rss")).status).toBe(404);
    const after = await scrape();
    expect(
      after.value("tidings_http_requests_total", labels) -
        before.value("tidings_http_requests_total", labels),
    ).toBe(2);
    expect(
      after.value("tidings_http_requests_total", { ...labels, status: "404" }) -
        before.value("tidings_http_requests_total", { ...labels, status: "404" }),
    ).toBe(1);
    const count = (s: typeof before) =>
      s.value("tidings_http_request_duration_seconds_count", {
        method: "GET",
        route: "/feeds/:file",
      });
    expect(count(after) - count(before)).toBe(3);
    // The raw path never becomes a label.
    expect(after.text).not.toContain("world.rss");
    // The scrape itself is a request too.
    expect(
      after.value("tidings_http_requests_total", { route: "/metrics", status: "200" }),
    ).toBeGreaterThan(0);
  });

  it("times a feed render once per feed version, and counts publishes and blocks", async () => {
    const renders = async () =>
      (await scrape()).value("tidings_feed_render_duration_seconds_count");
    expect((await on.get("/feeds/us-russia-syria.json")).status).toBe(200);
    const first = await renders();
    expect((await on.get("/feeds/us-russia-syria.json")).status).toBe(200);
    expect(await renders()).toBe(first); // served from the cache
    const pushed = await on.admin("POST", "/admin/articles", {
      headline: "Markets rally",
      bodyHtml: "<p>Text</p>",
      feeds: ["us-russia-syria"],
    });
    expect(pushed.status).toBe(201);
    expect((await on.get("/feeds/us-russia-syria.json")).status).toBe(200);
    expect(await renders()).toBe(first + 1);
    expect(
      (await scrape()).value("tidings_http_requests_total", {
        method: "POST",
        route: "/admin/articles",
        status: "201",
      }),
    ).toBe(1);

    const blocked = await on.admin("POST", "/admin/blocks", { domain: "spam.example" });
    expect(blocked.status).toBe(201);
    const metrics = await scrape();
    expect(metrics.value("tidings_blocks", { kind: "domain" })).toBe(1);
    expect(metrics.value("tidings_reports", { state: "open" })).toBe(0);
  });
});

describe("the METRICS_PORT listener", () => {
  const exposition = createPrometheusMetrics({}).exposition;
  const listen = async (token: string | undefined) => {
    const server = metricsListener({ exposition, token });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    return { url: `http://127.0.0.1:${port}`, close: () => new Promise((r) => server.close(r)) };
  };

  it("serves /metrics without a token, and nothing else", async () => {
    const server = await listen(undefined);
    try {
      const response = await fetch(`${server.url}/metrics`);
      expect(response.status).toBe(200);
      expect(parseScrape(await response.text()).type("tidings_deliveries_total")).toBe("counter");
      const other = await fetch(`${server.url}/admin/articles`);
      expect(other.status).toBe(404);
      expect(other.headers.get("content-type")).toBe("application/problem+json");
    } finally {
      await server.close();
    }
  });

  it("asks for METRICS_TOKEN there too when it is set", async () => {
    const server = await listen(METRICS_TOKEN);
    try {
      expect((await fetch(`${server.url}/metrics`)).status).toBe(401);
      const ok = await fetch(`${server.url}/metrics`, {
        headers: { authorization: `Bearer ${METRICS_TOKEN}` },
      });
      expect(ok.status).toBe(200);
    } finally {
      await server.close();
    }
  });
});
