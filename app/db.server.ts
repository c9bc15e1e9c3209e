import { PrismaClient } from "@prisma/client";
import { PrismaLibSQL } from "@prisma/adapter-libsql";
import { databaseUrl } from "./db-url";

declare global {
  // Reused across Vite dev-server reloads so we don't open a new pool each time.
  // eslint-disable-next-line no-var
  var prismaGlobal: PrismaClient | undefined;
}

function createClient(): PrismaClient {
  const adapter = new PrismaLibSQL({ url: databaseUrl() });
  return new PrismaClient({ adapter });
}

const prisma: PrismaClient = global.prismaGlobal ?? createClient();
if (process.env.NODE_ENV !== "production") global.prismaGlobal = prisma;

export default prisma;
