// Postinstall: runs Prisma 7's `prisma generate` offline.
// - Prisma 7's CLI wants to download a schema-engine binary it does not need for `generate`;
//   pointing it at any existing file skips the download (docs/environment.md). A user
//   who sets these variables keeps theirs.
// - `prisma6` (an npm alias of prisma@6.19.3, used only to write migrations and check schema
//   drift with its WebAssembly schema engine) also ships a `prisma` bin; make sure
//   node_modules/.bin/prisma is Prisma 7.
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, readlinkSync, rmSync, symlinkSync } from 'node:fs';

const bin = 'node_modules/.bin/prisma';
const want = '../prisma/build/index.js';
if (existsSync('node_modules/prisma/build/index.js')) {
  let current = null;
  try {
    current = lstatSync(bin).isSymbolicLink() ? readlinkSync(bin) : 'file';
  } catch {}
  if (current !== want) {
    rmSync(bin, { force: true });
    symlinkSync(want, bin);
  }
}

if (!existsSync('prisma/schema.prisma')) process.exit(0);
const env = { ...process.env };
env.PRISMA_SCHEMA_ENGINE_BINARY ??= '/bin/true';
env.PRISMA_ENGINES_CHECKSUM_IGNORE_MISSING ??= '1';
env.PRISMA_HIDE_UPDATE_MESSAGE ??= '1';
env.CHECKPOINT_DISABLE ??= '1';
const r = spawnSync(process.execPath, ['node_modules/prisma/build/index.js', 'generate'], { stdio: 'inherit', env });
process.exit(r.status ?? 1);
