#!/usr/bin/env node
// Entry for `npx iseg-qa`. The project runs on Node >= 22 (pg-boss, vitest); where the
// machine's Node is older, re-run under the Node 24 that `npm install` put in node_modules.
import { spawnSync } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(realpathSync(fileURLToPath(import.meta.url))));
const major = Number(process.versions.node.split('.')[0]);
const pinnedNode = join(root, 'node_modules', 'node', 'bin', 'node');
const nodeBin = major >= 22 || !existsSync(pinnedNode) ? process.execPath : pinnedNode;
const tsxLoader = join(root, 'node_modules', 'tsx', 'dist', 'loader.mjs');
const r = spawnSync(
  nodeBin,
  ['--import', tsxLoader, join(root, 'cli', 'main.ts'), ...process.argv.slice(2)],
  // tsx resolves the `@/` path alias from this tsconfig, whatever the user's working directory.
  { stdio: 'inherit', env: { ...process.env, TSX_TSCONFIG_PATH: join(root, 'tsconfig.json') } },
);
if (r.error) {
  console.error(`iseg-qa: could not start Node (${nodeBin}): ${r.error.message}`);
  process.exit(1);
}
process.exit(r.status ?? (r.signal ? 128 : 1));
