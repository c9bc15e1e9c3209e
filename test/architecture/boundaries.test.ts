// The tree shows the runtime as it is: app/ holds only what ships to merchants, so nothing
// under app/ may reach into dev/ (demo, stand-ins, signing helpers) or test/.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const root = path.resolve(__dirname, "../..");

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return /\.[cm]?[jt]sx?$/.test(entry.name) ? [full] : [];
  });
}

/** Every module specifier of a file: static imports, re-exports and dynamic import(). */
export function importSpecifiers(source: string): string[] {
  const found: string[] = [];
  const patterns = [
    /\bfrom\s+["']([^"']+)["']/g,
    /\bimport\s*\(\s*["']([^"']+)["']\s*\)/g,
    /^\s*import\s+["']([^"']+)["']/gm,
  ];
  for (const pattern of patterns)
    for (const match of source.matchAll(pattern)) found.push(match[1]);
  return found;
}

/** Where a specifier lands, relative to the repository root; null for a package. */
function resolveFromRoot(file: string, specifier: string): string | null {
  if (specifier.startsWith("~/")) return path.join("app", specifier.slice(2));
  if (!specifier.startsWith(".") && !specifier.startsWith("/")) return null;
  return path.relative(root, path.resolve(path.dirname(file), specifier));
}

describe("app/ ships alone", () => {
  it("finds the specifiers it is meant to police", () => {
    const sample = `import a from "../../dev/demo/x";\nexport { b } from "~/db.server";\nconst c = await import("./c");\nimport "./side-effect";`;
    expect(importSpecifiers(sample)).toEqual([
      "../../dev/demo/x",
      "~/db.server",
      "./c",
      "./side-effect",
    ]);
  });

  it("no file under app/ that ships imports from dev/ or test/", () => {
    const offenders: string[] = [];
    // Unit tests beside the code may use test/'s shared fixtures; nothing else may.
    const files = sourceFiles(path.join(root, "app")).filter(
      (f) => !/\.test\.tsx?$|__fixtures__/.test(f),
    );
    expect(files.length).toBeGreaterThan(50);
    for (const file of files) {
      for (const specifier of importSpecifiers(readFileSync(file, "utf8"))) {
        const target = resolveFromRoot(file, specifier);
        if (target === null) continue;
        const top = target.split(path.sep)[0];
        if (top !== "app")
          offenders.push(`${path.relative(root, file)} → ${specifier}`);
      }
    }
    expect(offenders).toEqual([]);
  });

  it("the dev tools are not in app/", () => {
    expect(
      sourceFiles(path.join(root, "app")).filter((f) =>
        /sandbox|standin|demo/i.test(path.relative(root, f)),
      ),
    ).toEqual([]);
  });
});

describe("one writer of attribution sessions", () => {
  it("only app/db/sql.server.ts creates or updates AttributionSession rows", () => {
    const writes =
      /\.attributionSession\.(create|createMany|update|updateMany|upsert)\b|INSERT INTO "AttributionSession"|UPDATE "AttributionSession"/;
    expect(writes.test(`prisma.attributionSession.upsert({`)).toBe(true);
    expect(writes.test(`prisma.attributionSession.deleteMany({`)).toBe(false);
    const offenders = sourceFiles(path.join(root, "app"))
      .filter(
        (file) =>
          !/\.test\.[jt]sx?$/.test(file) &&
          path.relative(root, file) !== path.join("app", "db", "sql.server.ts"),
      )
      .filter((file) => writes.test(readFileSync(file, "utf8")))
      .map((file) => path.relative(root, file));
    expect(offenders).toEqual([]);
  });
});

describe("comments cite public sources", () => {
  it("no source file points at notes outside this repository", () => {
    const outside = /\.\.\/shared\/|shared\/reference|\/work\//;
    expect(
      outside.test("// Source: ../shared/reference/tiktok-events-api.md §4"),
    ).toBe(true);
    const offenders = ["app", "dev", "test", "extensions"]
      .flatMap((dir) => sourceFiles(path.join(root, dir)))
      .filter(
        (file) =>
          !file.includes(`${path.sep}assets${path.sep}`) &&
          !file.endsWith("boundaries.test.ts"),
      )
      .filter((file) => outside.test(readFileSync(file, "utf8")))
      .map((file) => path.relative(root, file));
    expect(offenders).toEqual([]);
  });
});
