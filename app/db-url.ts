import path from "node:path";

/**
 * DATABASE_URL (parsed by app/config/env.ts), or the embedded SQLite file prisma/dev.sqlite when unset.
 * Resolved from the working directory: every npm script runs from the project root,
 * and the built server cannot use its own file location (it lives under build/).
 */
export function databaseUrl(configured: string | undefined): string {
  const url = configured?.trim();
  if (url) return url;
  return `file:${path.resolve(process.cwd(), "prisma", "dev.sqlite")}`;
}
