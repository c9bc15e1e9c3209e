/**
 * True for the URLs that select PostgreSQL (the pg adapter and prisma/postgresql/schema.prisma);
 * any other DATABASE_URL is SQLite/libSQL.
 */
export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:/i.test(url);
}
