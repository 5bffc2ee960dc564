/**
 * Schema SQL from Prisma 6's WebAssembly schema engine (npm alias `prisma6`). Prisma 7's CLI
 * needs a native engine download that is not available offline (docs/environment.md), and Prisma 6
 * with a driver adapter can diff two datamodels but not a live database; so we diff datamodels
 * and compare databases through the catalog (catalog-snapshot.ts).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

function prepareSchema(text: string): string {
  return text
    .replace(/generator client \{[\s\S]*?\n\}/, '')
    .replace(/datasource db \{[\s\S]*?\n\}/, 'datasource db {\n  provider = "postgresql"\n  url      = env("DATABASE_URL")\n}');
}

/**
 * SQL that turns the datamodel `fromSchema` (null: an empty database) into `toSchema`.
 * `databaseUrl` must reach a running Postgres: the adapter connects even for a datamodel diff.
 */
export function diffDatamodels({
  fromSchema,
  toSchema,
  databaseUrl,
  projectDir = process.cwd(),
}: {
  fromSchema: string | null;
  toSchema: string;
  databaseUrl: string;
  projectDir?: string;
}): string {
  const cli = path.join(projectDir, 'node_modules', 'prisma6', 'build', 'index.js');
  if (!fs.existsSync(cli)) throw new Error(`${cli} is missing: run npm install (prisma6 is a devDependency).`);
  // Inside the project so that `adapter-pg6` resolves from node_modules.
  const work = path.join(projectDir, '.data', 'prisma6');
  fs.mkdirSync(work, { recursive: true });
  fs.writeFileSync(path.join(work, 'to.prisma'), prepareSchema(toSchema));
  if (fromSchema !== null) fs.writeFileSync(path.join(work, 'from.prisma'), prepareSchema(fromSchema));
  fs.writeFileSync(
    path.join(work, 'prisma.config.ts'),
    `import { PrismaPg } from 'adapter-pg6';
export default {
  experimental: { adapter: true },
  engine: 'js',
  schema: 'to.prisma',
  async adapter() { return new PrismaPg({ connectionString: process.env.DATABASE_URL }); },
};
`,
  );
  const from = fromSchema === null ? ['--from-empty'] : ['--from-schema-datamodel', 'from.prisma'];
  const r = spawnSync(process.execPath, [cli, 'migrate', 'diff', ...from, '--to-schema-datamodel', 'to.prisma', '--script'], {
    cwd: work,
    encoding: 'utf8',
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      PRISMA_QUERY_ENGINE_LIBRARY: '/bin/true',
      PRISMA_SCHEMA_ENGINE_BINARY: '/bin/true',
      PRISMA_ENGINES_CHECKSUM_IGNORE_MISSING: '1',
      PRISMA_HIDE_UPDATE_MESSAGE: '1',
      CHECKPOINT_DISABLE: '1',
    },
  });
  if (r.status !== 0) throw new Error(`prisma6 migrate diff failed: ${(r.stderr || r.stdout).trim()}`);
  return r.stdout
    .split('\n')
    .filter((l) => l.trim() !== 'CREATE SCHEMA IF NOT EXISTS "public";' && !/^-- This is an empty migration/.test(l.trim()))
    .join('\n')
    .trim();
}
