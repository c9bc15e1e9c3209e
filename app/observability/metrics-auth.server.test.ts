import { describe, expect, it } from "vitest";
import { metricsAccess } from "./metrics-auth.server";

const TOKEN = "s3cret-metrics-token";

describe("metricsAccess", () => {
  it("is off when no token is configured, whatever the request sends", () => {
    expect(metricsAccess(`Bearer ${TOKEN}`, undefined)).toBe("off");
    expect(metricsAccess(null, "")).toBe("off");
    expect(metricsAccess(null, "   ")).toBe("off");
  });

  it("allows the configured bearer token", () => {
    expect(metricsAccess(`Bearer ${TOKEN}`, TOKEN)).toBe("allowed");
    expect(metricsAccess(`bearer ${TOKEN}`, TOKEN)).toBe("allowed");
  });

  it("denies a missing, malformed or wrong token", () => {
    expect(metricsAccess(null, TOKEN)).toBe("denied");
    expect(metricsAccess("", TOKEN)).toBe("denied");
    expect(metricsAccess(TOKEN, TOKEN)).toBe("denied");
    expect(metricsAccess(`Basic ${TOKEN}`, TOKEN)).toBe("denied");
    expect(metricsAccess("Bearer wrong", TOKEN)).toBe("denied");
    expect(metricsAccess(`Bearer ${TOKEN}x`, TOKEN)).toBe("denied");
    expect(metricsAccess(`Bearer ${TOKEN.slice(0, -1)}`, TOKEN)).toBe("denied");
    expect(metricsAccess(`Bearer ${TOKEN} extra`, TOKEN)).toBe("denied");
  });

  it("reads METRICS_TOKEN by default", () => {
    const before = process.env.METRICS_TOKEN;
    try {
      delete process.env.METRICS_TOKEN;
      expect(metricsAccess(`Bearer ${TOKEN}`)).toBe("off");
      process.env.METRICS_TOKEN = TOKEN;
      expect(metricsAccess(`Bearer ${TOKEN}`)).toBe("allowed");
      expect(metricsAccess("Bearer nope")).toBe("denied");
    } finally {
      if (before === undefined) delete process.env.METRICS_TOKEN;
      else process.env.METRICS_TOKEN = before;
    }
  });
});
