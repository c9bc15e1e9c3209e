// The demo rebuilds only when the build is missing or stale, and two demos (or a demo and a
// test) starting together build once. Checked against a throwaway project with a fake builder.
import {
  appendFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  buildIsCurrent,
  ensureAppBuild,
  prismaClientIsCurrent,
} from "../../dev/demo/prepare.server";

// Stands in for `remix vite:build`: records the call, takes a moment, writes both outputs.
const FAKE_BUILDER = `
const fs = require("node:fs");
fs.appendFileSync("builds.log", process.argv[2] + "\\n");
setTimeout(() => {
  fs.mkdirSync("build/server", { recursive: true });
  fs.mkdirSync("build/client", { recursive: true });
  fs.writeFileSync("build/server/index.js", "export {}");
}, 300);
`;

let root: string;
const past = new Date(Date.now() - 60_000);

beforeEach(() => {
  root = mkdtempSync(path.join(tmpdir(), "demo-prepare-"));
  mkdirSync(path.join(root, "app", "routes"), { recursive: true });
  mkdirSync(path.join(root, "app", "cli"), { recursive: true });
  mkdirSync(path.join(root, "dev"), { recursive: true });
  mkdirSync(path.join(root, "node_modules", "@remix-run", "dev", "dist"), {
    recursive: true,
  });
  writeFileSync(
    path.join(root, "node_modules", "@remix-run", "dev", "dist", "cli.js"),
    FAKE_BUILDER,
  );
  writeFileSync(path.join(root, "app", "root.tsx"), "export default 1");
  utimesSync(path.join(root, "app", "root.tsx"), past, past);
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const builds = () =>
  readFileSync(path.join(root, "builds.log"), "utf8").trim().split("\n");

describe("ensureAppBuild", () => {
  it("builds when build/ is missing, once even if two callers ask at the same time", async () => {
    expect(buildIsCurrent(root)).toBe(false);
    const results = await Promise.all([
      ensureAppBuild(root, () => {}),
      ensureAppBuild(root, () => {}),
    ]);
    expect(results.sort()).toEqual(["built", "current"]);
    expect(builds()).toEqual(["vite:build"]);
    expect(buildIsCurrent(root)).toBe(true);
  });

  it("rebuilds when an app source is newer than the build, not for CLIs, dev tools or tests", async () => {
    await ensureAppBuild(root, () => {});
    const future = new Date(Date.now() + 60_000);
    writeFileSync(path.join(root, "app", "cli", "x.ts"), "");
    writeFileSync(path.join(root, "dev", "x.ts"), "");
    utimesSync(path.join(root, "dev", "x.ts"), future, future);
    writeFileSync(path.join(root, "app", "routes", "x.test.ts"), "");
    utimesSync(path.join(root, "app", "cli", "x.ts"), future, future);
    utimesSync(path.join(root, "app", "routes", "x.test.ts"), future, future);
    expect(await ensureAppBuild(root, () => {})).toBe("current");

    writeFileSync(path.join(root, "app", "routes", "app.tsx"), "");
    utimesSync(path.join(root, "app", "routes", "app.tsx"), future, future);
    expect(await ensureAppBuild(root, () => {})).toBe("built");
    expect(builds()).toHaveLength(2);
  });

  it("takes over a lock left by a process that no longer exists", async () => {
    const lock = path.join(root, "node_modules", ".cache", "demo-build.lock");
    mkdirSync(lock, { recursive: true });
    writeFileSync(path.join(lock, "pid"), "2147483646");
    expect(await ensureAppBuild(root, () => {})).toBe("built");
  });
});

describe("prismaClientIsCurrent", () => {
  it("compares the schema the client was generated from, ignoring Prisma's reformatting", () => {
    mkdirSync(path.join(root, "prisma"));
    mkdirSync(path.join(root, "node_modules", ".prisma", "client"), {
      recursive: true,
    });
    writeFileSync(
      path.join(root, "prisma", "schema.prisma"),
      "model A {\n  id String @id\n  n  Int\n}\n",
    );
    expect(prismaClientIsCurrent(root)).toBe(false);
    const generated = path.join(
      root,
      "node_modules",
      ".prisma",
      "client",
      "schema.prisma",
    );
    writeFileSync(generated, "model A {\n  id String  @id\n  n  Int\n}\n");
    expect(prismaClientIsCurrent(root)).toBe(true);
    appendFileSync(generated, "model B {\n  id String @id\n}\n");
    expect(prismaClientIsCurrent(root)).toBe(false);
  });
});
