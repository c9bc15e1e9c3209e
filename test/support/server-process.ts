// Starts the production build (build/server/index.js) under the production web server
// (app/cli/web.ts) as a child process, the way `npm start` runs it.
import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import path from "node:path";
import { ensureAppBuild } from "../../dev/demo/prepare.server";
import { APP_URL, TEST_CREDS, TEST_ENCRYPTION_KEY } from "./constants";

/** Builds build/ when it is missing or older than the sources (shared with `npm run demo`). */
export async function ensureProductionBuild(): Promise<void> {
  await ensureAppBuild(path.resolve("."), () => {});
}

/** The environment of a production process on the test database, talking to a TikTok stand-in. */
export function productionEnv(
  tiktokUrl: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    DATABASE_URL: process.env.DATABASE_URL!,
    SHOPIFY_API_KEY: TEST_CREDS.apiKey,
    SHOPIFY_API_SECRET: TEST_CREDS.apiSecret,
    SHOPIFY_APP_URL: APP_URL,
    SCOPES: "read_orders",
    ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
    TIKTOK_API_BASE_URL: tiktokUrl,
    DELIVERY_IDLE_MS: "50",
    // As in production, whatever the test process's own level (createTestApp lowers it).
    LOG_LEVEL: "info",
    ...extra,
  };
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface ServerProcess {
  url: string;
  child: ChildProcess;
  output: () => string;
  kill(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * `web`: node on app/cli/web.ts, what `npm start` execs; `npm start` exactly as an operator runs
 * it (signals go through npm); `remix-serve`: the server before app/cli/web.ts, which the ingest
 * bench can still run on an older checkout (`cwd`, with its own node_modules) to compare.
 */
export type ServerCommand = "web" | "npm start" | "remix-serve";

export async function startServerProcess(
  env: Record<string, string>,
  port?: number,
  command: ServerCommand = "web",
  cwd = path.resolve("."),
): Promise<ServerProcess> {
  const chosen = port ?? (await freePort());
  let output = "";
  const [file, args]: [string, string[]] =
    command === "npm start"
      ? ["npm", ["start"]]
      : command === "web"
        ? [process.execPath, ["--import", "tsx", "app/cli/web.ts"]]
        : [
            process.execPath,
            [
              path.join(cwd, "node_modules/@remix-run/serve/dist/cli.js"),
              "./build/server/index.js",
            ],
          ];
  const child = spawn(file, args, {
    cwd,
    env: {
      ...process.env,
      VITEST: "",
      NODE_ENV: "production",
      HOST: "127.0.0.1",
      PORT: String(chosen),
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout!.on("data", (d) => (output += d));
  child.stderr!.on("data", (d) => (output += d));
  const exited = new Promise<number | null>((resolve) =>
    child.once("exit", (code) => resolve(code)),
  );
  const url = `http://127.0.0.1:${chosen}`;
  const started = Date.now();
  for (;;) {
    if (child.exitCode !== null)
      throw new Error(`server exited early:\n${output}`);
    try {
      const res = await fetch(`${url}/auth/login`);
      if (res.status < 500) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() - started > 30_000)
      throw new Error(`server did not start:\n${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    child,
    output: () => output,
    async kill(signal = "SIGTERM") {
      if (child.exitCode === null) child.kill(signal);
      return exited;
    },
  };
}
