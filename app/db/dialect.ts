/** True for the URLs that select PostgreSQL (pg adapter, prisma/postgresql schema); anything else is SQLite/libSQL. */
export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//i.test(url);
}
