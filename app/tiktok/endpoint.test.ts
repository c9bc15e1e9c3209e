import { describe, expect, it } from "vitest";
import {
  DEFAULT_TIKTOK_API_BASE_URL,
  isSendableAccessToken,
  parseTrackUrl,
  TRACK_PATH,
  trackUrlFor,
} from "./endpoint";

describe("trackUrlFor", () => {
  it("appends the v1.3 track path, keeping a path prefix and dropping trailing slashes", () => {
    expect(trackUrlFor(DEFAULT_TIKTOK_API_BASE_URL)).toBe(
      "https://business-api.tiktok.com/open_api/v1.3/event/track/",
    );
    expect(trackUrlFor("http://127.0.0.1:8787/tiktok///")).toBe(
      `http://127.0.0.1:8787/tiktok${TRACK_PATH}`,
    );
  });
});

describe("parseTrackUrl", () => {
  it("accepts http and https and refuses anything else or a non-URL", () => {
    expect(parseTrackUrl("http://127.0.0.1:8787").href).toBe(
      "http://127.0.0.1:8787/open_api/v1.3/event/track/",
    );
    expect(parseTrackUrl(DEFAULT_TIKTOK_API_BASE_URL).protocol).toBe("https:");
    expect(() => parseTrackUrl("file:///tmp")).toThrow(
      "Unsupported TikTok API URL: file:///tmp/open_api/v1.3/event/track/",
    );
    expect(() => parseTrackUrl("business-api.tiktok.com")).toThrow();
  });
});

describe("isSendableAccessToken", () => {
  it("accepts visible ASCII only", () => {
    expect(isSendableAccessToken("0123abcDEF_-.~!")).toBe(true);
    expect(isSendableAccessToken("")).toBe(false);
    expect(isSendableAccessToken("tok en")).toBe(false);
    expect(isSendableAccessToken("tok\n")).toBe(false);
    expect(isSendableAccessToken("tokén")).toBe(false);
  });
});
