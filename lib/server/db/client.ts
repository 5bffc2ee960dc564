/**
 * The Prisma client for web and worker: Prisma 7 with the pg driver adapter. One pool per
 * process, created on first use from DATABASE_URL.
 */
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient, type Prisma } from './generated/client';

export type Db = PrismaClient;

/** A client or an open transaction: for operations that callers may run inside their own transaction. */
export type DbOrTx = PrismaClient | Prisma.TransactionClient;

const globalForDb = globalThis as unknown as { __isegDb?: PrismaClient; __isegDbUrl?: string };

export function createDb(databaseUrl: string): PrismaClient {
  const adapter = new PrismaPg({ connectionString: databaseUrl, max: 10 });
  return new PrismaClient({ adapter });
}

/** The process-wide client (reused across Next.js hot reloads). */
export function db(): PrismaClient {
  const url = process.env.DATABASE_URL;
  if (!url) {
    throw new Error('DATABASE_URL is not set: start the app with `npm start`, which provides it, or set it to your Postgres.');
  }
  if (!globalForDb.__isegDb || globalForDb.__isegDbUrl !== url) {
    globalForDb.__isegDb = createDb(url);
    globalForDb.__isegDbUrl = url;
  }
  return globalForDb.__isegDb;
}
