import path from "node:path";

/**
 * DATABASE_URL, or the embedded SQLite file prisma/dev.sqlite when unset.
 * Resolved from the working directory: every npm script runs from the project root,
 * and the built server cannot use its own file location (it lives under build/).
 */
export function databaseUrl(env: NodeJS.ProcessEnv = process.env): string {
  const url = env.DATABASE_URL?.trim();
  if (url) return url;
  return `file:${path.resolve(process.cwd(), "prisma", "dev.sqlite")}`;
}
