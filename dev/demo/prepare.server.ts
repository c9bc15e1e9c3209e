// What `npm run demo` does before anything starts: a fresh SQLite database with the committed
// migrations (like `npm run setup`, but in its own file so a developer's dev DB is untouched)
// and an up-to-date production build of the app.
import { execFile } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import path from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

export interface StepLog {
  (message: string): void;
}

/** Runs a Node CLI from node_modules with this Node binary (no PATH or shell needed). */
async function node(
  args: string[],
  env: NodeJS.ProcessEnv,
  cwd: string,
): Promise<void> {
  try {
    await run(process.execPath, args, {
      env,
      cwd,
      maxBuffer: 64 * 1024 * 1024,
    });
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(
      `${args.slice(0, 2).join(" ")} failed:\n${e.stdout ?? ""}${e.stderr ?? e.message}`,
    );
  }
}

const squash = (text: string) => text.replace(/\s+/g, " ").trim();

/** True when node_modules/.prisma/client was generated from the current schema (Prisma reformats it). */
export function prismaClientIsCurrent(root: string): boolean {
  const generated = path.join(
    root,
    "node_modules",
    ".prisma",
    "client",
    "schema.prisma",
  );
  if (!existsSync(generated)) return false;
  const schema = readFileSync(
    path.join(root, "prisma", "schema.prisma"),
    "utf8",
  );
  return squash(readFileSync(generated, "utf8")) === squash(schema);
}

/** Deletes the demo database and recreates it with `prisma migrate deploy`. */
export async function prepareDemoDatabase(
  root: string,
  file: string,
  log: StepLog,
): Promise<string> {
  const absolute = path.resolve(root, file);
  for (const suffix of ["", "-journal", "-wal", "-shm"])
    rmSync(absolute + suffix, { force: true });
  mkdirSync(path.dirname(absolute), { recursive: true });
  const prismaCli = path.join(
    root,
    "node_modules",
    "prisma",
    "build",
    "index.js",
  );
  // CHECKPOINT_DISABLE: no update check to checkpoint.prisma.io; the demo stays on loopback.
  const env = {
    ...process.env,
    DATABASE_URL: `file:${absolute}`,
    CHECKPOINT_DISABLE: "1",
  };
  if (!prismaClientIsCurrent(root)) {
    log("Generating the Prisma client (prisma generate)");
    await node([prismaCli, "generate"], env, root);
  }
  log(
    `Creating the demo database ${path.relative(root, absolute)} (prisma migrate deploy)`,
  );
  await node([prismaCli, "migrate", "deploy"], env, root);
  return `file:${absolute}`;
}

/** Files the server build is made from: the app minus CLIs and tests, plus build config. */
function newestSourceMtime(root: string): number {
  let newest = 0;
  const visit = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      const rel = path.relative(root, full).split(path.sep).join("/");
      if (entry.isDirectory()) {
        if (rel === "app/cli") continue;
        visit(full);
      } else if (!/\.test\.[cm]?[jt]sx?$/.test(entry.name)) {
        newest = Math.max(newest, statSync(full).mtimeMs);
      }
    }
  };
  visit(path.join(root, "app"));
  for (const file of [
    "vite.config.ts",
    "package.json",
    "tsconfig.json",
    "prisma/schema.prisma",
  ]) {
    const full = path.join(root, file);
    if (existsSync(full)) newest = Math.max(newest, statSync(full).mtimeMs);
  }
  return newest;
}

export function buildIsCurrent(root: string): boolean {
  const server = path.join(root, "build", "server", "index.js");
  if (!existsSync(server) || !existsSync(path.join(root, "build", "client")))
    return false;
  return statSync(server).mtimeMs >= newestSourceMtime(root);
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * One build at a time in this checkout (a demo and a test may both want one): a lock
 * directory with the owner's pid; a lock whose owner is gone is taken over.
 */
async function withBuildLock<T>(
  root: string,
  fn: () => Promise<T>,
): Promise<T> {
  const lock = path.join(root, "node_modules", ".cache", "demo-build.lock");
  mkdirSync(path.dirname(lock), { recursive: true });
  for (;;) {
    try {
      mkdirSync(lock);
      writeFileSync(path.join(lock, "pid"), String(process.pid));
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      let owner = NaN;
      try {
        owner = Number(readFileSync(path.join(lock, "pid"), "utf8"));
      } catch {
        // Just created by its owner, pid not written yet.
      }
      if (Number.isInteger(owner) && owner > 0 && !processAlive(owner)) {
        rmSync(lock, { recursive: true, force: true });
        continue;
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/** Builds the app (`remix vite:build`) when build/ is missing or older than its sources. */
export async function ensureAppBuild(
  root: string,
  log: StepLog,
): Promise<"current" | "built"> {
  if (buildIsCurrent(root)) return "current";
  return withBuildLock(root, async () => {
    if (buildIsCurrent(root)) return "current"; // another process built it while we waited
    log(
      "Building the app (remix vite:build; build/ is missing or older than the sources)",
    );
    // Vite decides the mode; an inherited NODE_ENV=development would spoil a production build.
    const env = Object.fromEntries(
      Object.entries(process.env).filter(([name]) => name !== "NODE_ENV"),
    ) as NodeJS.ProcessEnv;
    await node(
      [
        path.join(root, "node_modules", "@remix-run", "dev", "dist", "cli.js"),
        "vite:build",
      ],
      env,
      root,
    );
    return "built";
  });
}
