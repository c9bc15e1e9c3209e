import { describe, expect, it } from "vitest";
import { acceptsGzip, isCompressible } from "./compression.server";

describe("acceptsGzip", () => {
  it.each([
    ["gzip, deflate, br", true],
    ["br;q=1.0, gzip;q=0.8", true],
    ["GZIP", true],
    ["*", true],
    [["deflate", "gzip"], true],
    [undefined, false],
    ["", false],
    ["br, deflate", false],
    ["gzip;q=0", false],
    ["gzip;q=0.0, br", false],
    ["x-gzip", false],
  ] as const)("%j -> %s", (header, expected) => {
    expect(acceptsGzip(header as string | string[] | undefined)).toBe(expected);
  });
});

describe("isCompressible", () => {
  it.each([
    ["text/html", true],
    ["text/html; charset=utf-8", true],
    ["application/json", true],
    ["application/problem+json", true],
    ["text/javascript; charset=utf-8", true],
    ["image/svg+xml", true],
    ["text/event-stream", false],
    ["image/png", false],
    ["font/woff2", false],
    ["application/octet-stream", false],
    [null, false],
  ] as const)("%s -> %s", (type, expected) => {
    expect(isCompressible(type)).toBe(expected);
  });
});
