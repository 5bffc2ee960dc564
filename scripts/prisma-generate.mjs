// Runs `prisma generate` so that it works offline. Prisma 7's CLI wants to download a
// schema-engine binary it does not need for `generate`; pointing it at any existing file skips
// the download (see ../shared/docs/ENVIRONMENT.md). A user who sets the variable keeps theirs.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

if (!existsSync('prisma/schema.prisma')) process.exit(0);
const env = { ...process.env };
env.PRISMA_SCHEMA_ENGINE_BINARY ??= '/bin/true';
env.PRISMA_ENGINES_CHECKSUM_IGNORE_MISSING ??= '1';
env.PRISMA_HIDE_UPDATE_MESSAGE ??= '1';
env.CHECKPOINT_DISABLE ??= '1';
const r = spawnSync('npx', ['--no-install', 'prisma', 'generate'], { stdio: 'inherit', env });
process.exit(r.status ?? 1);
