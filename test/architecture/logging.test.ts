// Everything that ships logs through app/observability/logger.server.ts (pino): JSON lines with
// ids, redaction behind them. A console call would bypass both; only `npm run setup` talks to a
// person at a terminal. pino-pretty is a development dependency, so nothing may import it.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const root = path.resolve(__dirname, "../..");
const HUMAN_CLI = new Set(["app/cli/setup.ts"]);

function shipped(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory())
      return entry.name === "__fixtures__" ? [] : shipped(full);
    return /\.[cm]?[jt]sx?$/.test(entry.name) && !/\.test\./.test(entry.name)
      ? [full]
      : [];
  });
}

describe("logging", () => {
  const files = shipped(path.join(root, "app")).map((f) => ({
    name: path.relative(root, f).split(path.sep).join("/"),
    source: readFileSync(f, "utf8"),
  }));

  it("no console.* in shipped code but the setup CLI", () => {
    expect(files.length).toBeGreaterThan(50);
    const offenders = files
      .filter((f) => !HUMAN_CLI.has(f.name))
      .filter((f) =>
        /\bconsole\.(log|info|warn|error|debug|trace)\b/.test(f.source),
      )
      .map((f) => f.name);
    expect(offenders).toEqual([]);
  });

  it("nothing imports pino-pretty (production installs leave it out)", () => {
    const offenders = files
      .filter((f) => /(from|import\()\s*["']pino-pretty["']/.test(f.source))
      .map((f) => f.name);
    expect(offenders).toEqual([]);
  });
});
