// Prisma CLI configuration. The app itself never reads this: it connects through
// lib/server/db/client.ts with the pg driver adapter and applies migrations itself.
import { defineConfig } from 'prisma/config';

export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: { url: process.env.DATABASE_URL ?? 'postgresql://localhost:5432/iseg' },
});
