// The demo's session-token minting must not exist in production: the demo server refuses to
// start outside explicit demo mode, and the real production server (app/cli/web.ts on the
// production build) has no /__demo/ path at all.
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { DemoNotAllowedError } from "../../dev/demo/guard";
import { ensureAppBuild } from "../../dev/demo/prepare.server";
import { startDemoServer } from "../../dev/demo/server.server";
import { applyMigrations } from "../support/test-app";

const JWT = /eyJ[\w-]+\.[\w-]+\.[\w-]+/;
const creds = { apiKey: "k".repeat(32), apiSecret: "s".repeat(64) };

describe("demo server factory", () => {
  const refused: [string, NodeJS.ProcessEnv][] = [
    [
      "NODE_ENV=production, even with DEMO_MODE=1",
      { NODE_ENV: "production", DEMO_MODE: "1" },
    ],
    ["DEMO_MODE unset", { NODE_ENV: "development" }],
    [
      "DEMO_MODE=true (only 1 turns it on)",
      { NODE_ENV: "development", DEMO_MODE: "true" },
    ],
    ["DEMO_MODE=0", { NODE_ENV: "development", DEMO_MODE: "0" }],
  ];
  it.each(refused)(
    "refuses to start with %s, before loading anything",
    async (_label, env) => {
      const loadApp = vi.fn(async () => async () => new Response("app"));
      await expect(
        startDemoServer({
          shop: "demo-shop.myshopify.com",
          credentials: creds,
          env,
          loadApp,
        }),
      ).rejects.toThrow(DemoNotAllowedError);
      expect(loadApp).not.toHaveBeenCalled();
    },
  );

  it("refuses any interface but loopback", async () => {
    const loadApp = vi.fn(async () => async () => new Response("app"));
    await expect(
      startDemoServer({
        shop: "demo-shop.myshopify.com",
        credentials: creds,
        env: { NODE_ENV: "development", DEMO_MODE: "1" },
        host: "0.0.0.0",
        loadApp,
      }),
    ).rejects.toThrow(DemoNotAllowedError);
    expect(loadApp).not.toHaveBeenCalled();
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath, e.name));
}

describe("production server (app/cli/web.ts on build/, NODE_ENV=production)", () => {
  let server: ChildProcess;
  let base: string;
  let tmp: string;

  beforeAll(async () => {
    await ensureAppBuild(process.cwd(), () => {});
    tmp = mkdtempSync(path.join(tmpdir(), "demo-guard-"));
    const databaseUrl = `file:${path.join(tmp, "prod.sqlite")}`;
    await applyMigrations(databaseUrl);
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    server = spawn(
      process.execPath,
      ["--import", "tsx", path.resolve("app/cli/web.ts")],
      {
        env: {
          PATH: process.env.PATH,
          NODE_ENV: "production",
          PORT: String(port),
          HOST: "127.0.0.1",
          DATABASE_URL: databaseUrl,
          ENCRYPTION_KEY: randomBytes(32).toString("base64"),
          SHOPIFY_API_KEY: creds.apiKey,
          SHOPIFY_API_SECRET: creds.apiSecret,
          SHOPIFY_APP_URL: base,
          SCOPES: "read_orders,read_customers,write_app_proxy",
          // Even if someone sets it, production ignores demo mode.
          DEMO_MODE: "1",
        },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    // Remix logs every 404 with a stack; keep it for the failure message only.
    let stderr = "";
    server.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    await new Promise<void>((resolve, reject) => {
      server.once("exit", (code) =>
        reject(new Error(`the web server exited with ${code}:\n${stderr}`)),
      );
      createInterface({ input: server.stdout! }).on("line", (line) => {
        if (line.includes("web server listening")) resolve();
      });
    });
  }, 600_000);

  afterAll(async () => {
    if (server && server.exitCode === null) {
      const exited = new Promise((resolve) => server.once("exit", resolve));
      server.kill("SIGTERM");
      await exited;
    }
    rmSync(tmp, { recursive: true, force: true });
  });

  it("is the real app (its routes answer)", async () => {
    const res = await fetch(`${base}/proxy/collect`);
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe("POST");
  });

  it.each([
    "/__demo/app-bridge.js",
    "/__demo/session-token",
    "/__demo/session-token?shop=demo-shop.myshopify.com",
    "/__demo/status",
  ])("answers %s with 404 and no token", async (pathAndQuery) => {
    const res = await fetch(`${base}${pathAndQuery}`, {
      headers: { "Sec-Fetch-Site": "same-origin" },
    });
    const body = await res.text();
    expect(res.status).toBe(404);
    expect(body).not.toMatch(JWT);
    expect(body).not.toContain("window.shopify");
  });

  it("has no demo path anywhere in the build", () => {
    const hits = filesUnder(path.resolve("build")).filter((file) =>
      readFileSync(file, "utf8").includes("__demo"),
    );
    expect(hits).toEqual([]);
  });
});
