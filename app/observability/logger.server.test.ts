import { spawnSync } from "node:child_process";
import path from "node:path";
import { describe, expect, it } from "vitest";
import {
  createLogger,
  errorSummary,
  REDACTED,
  requestIdOf,
} from "./logger.server";

function capture(level: Parameters<typeof createLogger>[0]["level"]) {
  let text = "";
  const log = createLogger({
    level,
    format: "json",
    destination: { write: (line: string) => void (text += line) },
  });
  const lines = () =>
    text
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { log, lines, text: () => text };
}

describe("createLogger", () => {
  it("writes one JSON object per line with a level name and an ISO time; drops lines below its level", () => {
    const { log, lines } = capture("warn");
    log.info("not written");
    log.warn({ shop: "a.myshopify.com", outcome: "failed" }, "written");
    expect(lines()).toEqual([
      expect.objectContaining({
        level: "warn",
        msg: "written",
        shop: "a.myshopify.com",
        outcome: "failed",
        time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      }),
    ]);
  });

  it("redacts personal data and secrets under the obvious keys, at the top and one level down", () => {
    const { log, lines, text } = capture("info");
    log.info(
      {
        email: "jane@example.com",
        phone: "+16135550123",
        ip: "203.0.113.7",
        accessToken: "tt-secret-token",
        user: { email: "jane@example.com", ip: "203.0.113.7" },
        headers: { "x-forwarded-for": "203.0.113.7" },
        payload: '{"user":{"ip":"203.0.113.7"}}',
        shop: "a.myshopify.com",
      },
      "line",
    );
    log.child({ token: "tt-secret-token" }).info("child line");
    for (const raw of ["jane@", "6135550123", "203.0.113.7", "tt-secret"])
      expect(text()).not.toContain(raw);
    const [first, second] = lines();
    expect(first).toMatchObject({
      email: REDACTED,
      phone: REDACTED,
      ip: REDACTED,
      accessToken: REDACTED,
      user: { email: REDACTED, ip: REDACTED },
      headers: REDACTED,
      payload: REDACTED,
      shop: "a.myshopify.com",
    });
    expect(second).toMatchObject({ token: REDACTED });
  });
});

describe("requestIdOf", () => {
  const headers = (id?: string) =>
    new Headers(id === undefined ? {} : { "X-Request-Id": id });
  it("keeps a sane caller's id", () => {
    for (const id of ["abc", "req-1.2:3/4+5=", "x".repeat(128)])
      expect(requestIdOf(headers(id))).toBe(id);
  });
  it("replaces a missing, long or odd one with a fresh UUID", () => {
    for (const id of [undefined, "", "x".repeat(129), "a b", "a@b.c", "é"]) {
      const made = requestIdOf(headers(id));
      expect(made).toMatch(/^[0-9a-f-]{36}$/);
      expect(made).not.toBe(id);
    }
  });
});

describe("errorSummary", () => {
  it("keeps the class and the first line of the message only", () => {
    const error = new TypeError(
      "Invalid `prisma.x.create()` invocation:\n{ data: { ip: '203.0.113.7' } }",
    );
    expect(errorSummary(error)).toEqual({
      type: "TypeError",
      message: "Invalid `prisma.x.create()` invocation:",
    });
    expect(errorSummary("x".repeat(500)).message).toHaveLength(200);
    // Prisma's messages start with a blank line; its code says the most.
    const prisma = Object.assign(new Error("\n  Table main.X does not exist"), {
      code: "P2021",
    });
    expect(errorSummary(prisma)).toEqual({
      type: "Error",
      code: "P2021",
      message: "Table main.X does not exist",
    });
  });
});

describe("the process logger's output, as a process writes it", () => {
  // A real process: stdout as an operator sees it, pretty through pino-pretty's transport thread.
  const run = (env: Record<string, string>) => {
    const result = spawnSync(
      process.execPath,
      [
        "--import",
        "tsx",
        "--input-type=module",
        "-e",
        `const { logger } = await import(${JSON.stringify(
          path.resolve("app/observability/logger.server.ts"),
        )});
         logger().debug("hidden unless debug");
         logger().info({ shop: "a.myshopify.com" }, "hello from the logger");`,
      ],
      { env: { ...process.env, VITEST: "", ...env }, encoding: "utf8" },
    );
    expect(result.status, result.stderr).toBe(0);
    return result.stdout;
  };

  it("production: JSON lines at info", () => {
    const out = run({ NODE_ENV: "production", LOG_LEVEL: "", LOG_FORMAT: "" });
    const lines = out.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0])).toMatchObject({
      level: "info",
      msg: "hello from the logger",
      shop: "a.myshopify.com",
    });
  });

  it("development: human-readable lines; LOG_LEVEL=debug shows debug", () => {
    const out = run({
      NODE_ENV: "development",
      LOG_LEVEL: "debug",
      LOG_FORMAT: "",
    });
    expect(out).toContain("hello from the logger");
    expect(out).toContain("hidden unless debug");
    expect(out).toMatch(/INFO/);
    expect(() => JSON.parse(out.trim().split("\n")[0])).toThrow();
  });
});
