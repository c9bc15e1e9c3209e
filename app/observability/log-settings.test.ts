import { describe, expect, it } from "vitest";
import { logSettings } from "./log-settings";

describe("logSettings", () => {
  it("JSON at info by default (production, tests, anything but development)", () => {
    for (const NODE_ENV of [undefined, "production", "test"])
      expect(logSettings({ NODE_ENV }, true)).toEqual({
        level: "info",
        format: "json",
      });
  });

  it("pretty in development, when pino-pretty can be loaded", () => {
    expect(logSettings({ NODE_ENV: "development" }, true)).toEqual({
      level: "info",
      format: "pretty",
    });
  });

  it("falls back to JSON, saying why, when pino-pretty is not installed", () => {
    for (const env of [
      { NODE_ENV: "development" },
      { NODE_ENV: "production", LOG_FORMAT: "pretty" },
    ]) {
      const settings = logSettings(env, false);
      expect(settings.format).toBe("json");
      expect(settings.notice).toContain("pino-pretty is not installed");
    }
  });

  it("LOG_FORMAT wins over NODE_ENV, either way, in any case", () => {
    expect(
      logSettings({ NODE_ENV: "development", LOG_FORMAT: "JSON" }, true).format,
    ).toBe("json");
    expect(
      logSettings({ NODE_ENV: "production", LOG_FORMAT: "pretty" }, true)
        .format,
    ).toBe("pretty");
    expect(logSettings({ LOG_FORMAT: " " }, true).format).toBe("json");
  });

  it("LOG_LEVEL picks pino's level; a bad one falls back to info (the config check reports it)", () => {
    expect(logSettings({ LOG_LEVEL: "debug" }, true).level).toBe("debug");
    expect(logSettings({ LOG_LEVEL: "WARN" }, true).level).toBe("warn");
    expect(logSettings({ LOG_LEVEL: "silent" }, true).level).toBe("silent");
    expect(logSettings({ LOG_LEVEL: "verbose" }, true).level).toBe("info");
    expect(logSettings({ LOG_FORMAT: "xml" }, true).format).toBe("json");
  });
});
