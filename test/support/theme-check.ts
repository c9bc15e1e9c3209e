// Runs @shopify/theme-check-node over the theme app extension with the
// theme-app-extension config (includes the 10,000-byte JavaScript asset limit).
// The package has no CLI binary, so this module is both the CI entry point
// (`node --import tsx test/support/theme-check.ts`, exit 1 on any error) and a
// helper for tests.
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { check, Severity, type Offense } from "@shopify/theme-check-node";

export const EXTENSION_ROOT = fileURLToPath(
  new URL("../../extensions/tiktok-pixel/", import.meta.url),
);

export type ThemeCheckResult = {
  offenses: Offense[];
  errors: Offense[];
};

export async function runThemeCheck(
  root: string = EXTENSION_ROOT,
): Promise<ThemeCheckResult> {
  const offenses = await check(root, path.join(root, ".theme-check.yml"));
  return {
    offenses,
    errors: offenses.filter((o) => o.severity === Severity.ERROR),
  };
}

export function formatOffense(
  o: Offense,
  root: string = EXTENSION_ROOT,
): string {
  const file = path.relative(root, fileURLToPath(o.uri));
  const level = Severity[o.severity];
  return `${level} ${o.check} ${file}:${o.start.line + 1}:${o.start.character + 1} ${o.message}`;
}

async function main(): Promise<void> {
  const { offenses, errors } = await runThemeCheck();
  for (const o of offenses) console.log(formatOffense(o));
  console.log(
    `theme-check: ${offenses.length} offense(s), ${errors.length} error(s) in ${EXTENSION_ROOT}`,
  );
  process.exitCode = errors.length > 0 ? 1 : 0;
}

if (
  process.argv[1] &&
  import.meta.url === pathToFileURL(process.argv[1]).href
) {
  await main();
}
