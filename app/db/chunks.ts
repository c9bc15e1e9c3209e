/**
 * Splits a list for statements with many bound parameters: Prisma refuses a query with
 * more than 999 parameters on SQLite.
 */
export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size)
    out.push(items.slice(i, i + size));
  return out;
}

/** Room for ids in one `IN (...)` next to a few other parameters. */
export const IN_LIST_CHUNK = 500;
