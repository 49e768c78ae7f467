import { describe, expect, it } from "vitest";
import { ConfigError, parseConfig } from "../../src/config.ts";

describe("parseConfig", () => {
  it("has working defaults for a newcomer", () => {
    expect(parseConfig({})).toEqual({
      port: 8000,
      publicUrl: "http://localhost:8000",
      siteName: "localhost:8000",
      databaseUrl: undefined,
      dataDir: "./data",
      adminToken: undefined,
      feedItemLimit: 50,
      feedArchivePageSize: 50,
      maxBodyBytes: 1024 * 1024,
      inboxMaxBodyBytes: 256 * 1024,
      articleMaxBytes: 256 * 1024,
      feedMaxBytes: 1024 * 1024,
      feedCacheMaxBytes: 64 * 1024 * 1024,
      feedsDir: "./feeds",
      logLevel: "info",
      federationAllowPrivateAddress: false,
      deliveryConcurrency: 256,
      deliveryPerHost: 8,
      websubMaxSubscriptionsPerHost: 100,
      websubMaxSubscriptions: 100_000,
      websubTimeoutMs: 10_000,
      websubConcurrency: 256,
      deliveryLeaseMs: 60_000,
      deliveryRecordDays: 30,
      deliverySender: "direct",
      deliverySigning: "thread-pool",
      inboxRateLimit: 1200,
      authorizedFetch: false,
      metricsToken: undefined,
      metricsPort: undefined,
      otlpEndpoint: undefined,
      otelServiceName: "tidings",
      otelMetricExportIntervalMs: 60_000,
      livePollSeconds: 15,
      articlePageCacheMaxBytes: 16 * 1024 * 1024,
    });
  });

  it("reads the live pages' poll interval, and refuses one out of range", () => {
    expect(parseConfig({ LIVE_POLL_SECONDS: "1" })).toMatchObject({ livePollSeconds: 1 });
    expect(() => parseConfig({ LIVE_POLL_SECONDS: "0" })).toThrow(/LIVE_POLL_SECONDS: /);
    expect(() => parseConfig({ LIVE_POLL_SECONDS: "601" })).toThrow(/LIVE_POLL_SECONDS: /);
  });

  it("reads the metrics settings, and refuses a short token or the app's own port", () => {
    expect(
      parseConfig({ METRICS_TOKEN: "metrics-token-0123456789", METRICS_PORT: "9464" }),
    ).toMatchObject({ metricsToken: "metrics-token-0123456789", metricsPort: 9464 });
    expect(() => parseConfig({ METRICS_TOKEN: "short", METRICS_PORT: "0" })).toThrow(
      /METRICS_TOKEN: must be at least 16 characters[^\n]*\n {2}- METRICS_PORT: /,
    );
    expect(() => parseConfig({ PORT: "9464", METRICS_PORT: "9464" })).toThrow(
      /METRICS_PORT: must differ from PORT/,
    );
  });

  it("reads the inbox rate limit and authorized fetch, and refuses bad values", () => {
    expect(parseConfig({ INBOX_RATE_LIMIT: "0", AUTHORIZED_FETCH: "true" })).toMatchObject({
      inboxRateLimit: 0,
      authorizedFetch: true,
    });
    expect(() => parseConfig({ INBOX_RATE_LIMIT: "-1", AUTHORIZED_FETCH: "yes" })).toThrow(
      /INBOX_RATE_LIMIT: [^\n]+\n {2}- AUTHORIZED_FETCH: must be true or false/,
    );
  });

  it("reads every size limit, and names the ones out of range", () => {
    const config = parseConfig({
      INBOX_MAX_BODY_BYTES: "65536",
      ARTICLE_MAX_BYTES: "131072",
      FEED_MAX_BYTES: "524288",
      FEED_CACHE_MAX_BYTES: "16777216",
    });
    expect(config).toMatchObject({
      inboxMaxBodyBytes: 65536,
      articleMaxBytes: 131072,
      feedMaxBytes: 524288,
      feedCacheMaxBytes: 16777216,
    });
    expect(() =>
      parseConfig({ INBOX_MAX_BODY_BYTES: "10", FEED_MAX_BYTES: "1", ARTICLE_MAX_BYTES: "-1" }),
    ).toThrow(/INBOX_MAX_BODY_BYTES[\s\S]*ARTICLE_MAX_BYTES[\s\S]*FEED_MAX_BYTES/);
  });

  it("lets DELIVERY_SENDER hand every POST to Fedify, and names a wrong value", () => {
    expect(parseConfig({ DELIVERY_SENDER: "fedify" }).deliverySender).toBe("fedify");
    expect(() => parseConfig({ DELIVERY_SENDER: "carrier-pigeon" })).toThrow(/DELIVERY_SENDER/);
  });

  it("derives PUBLIC_URL from PORT and normalises a given origin", () => {
    expect(parseConfig({ PORT: "3000" }).publicUrl).toBe("http://localhost:3000");
    expect(parseConfig({ PUBLIC_URL: "https://News.Example/" }).publicUrl).toBe(
      "https://news.example",
    );
  });

  it("names the site after PUBLIC_URL's host unless SITE_NAME says otherwise", () => {
    expect(parseConfig({ PUBLIC_URL: "https://news.example" }).siteName).toBe("news.example");
    expect(parseConfig({ SITE_NAME: "  The Daily Example " }).siteName).toBe("The Daily Example");
    expect(() => parseConfig({ SITE_NAME: "x".repeat(101) })).toThrow(/SITE_NAME/);
  });

  it("treats empty variables as unset", () => {
    expect(parseConfig({ DATABASE_URL: "", ADMIN_TOKEN: "", PORT: "" }).port).toBe(8000);
  });

  it("returns a frozen object", () => {
    expect(Object.isFrozen(parseConfig({}))).toBe(true);
  });

  it("reports every bad variable at once", () => {
    let error: unknown;
    try {
      parseConfig({
        PORT: "eighty",
        PUBLIC_URL: "https://news.example/path",
        DATABASE_URL: "mysql://db",
        ADMIN_TOKEN: "short",
        FEED_ITEM_LIMIT: "0",
        MAX_BODY_BYTES: "12",
        LOG_LEVEL: "loud",
      });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const names = (error as ConfigError).problems.map((p) => p.split(":")[0]);
    expect(names).toEqual([
      "PORT",
      "PUBLIC_URL",
      "DATABASE_URL",
      "ADMIN_TOKEN",
      "FEED_ITEM_LIMIT",
      "MAX_BODY_BYTES",
      "LOG_LEVEL",
    ]);
  });
});
