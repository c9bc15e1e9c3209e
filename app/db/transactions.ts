/**
 * Options for the bulk writes of uninstall, compliance and retention. Prisma gives interactive
 * transactions 5 s by default (https://www.prisma.io/docs/orm/prisma-client/queries/transactions#interactive-transactions),
 * which suits request paths; deleting a large shop's whole log can take longer, and a timeout
 * would roll it back on every retry.
 */
export const BULK_TRANSACTION = { maxWait: 10_000, timeout: 300_000 } as const;
