#!/usr/bin/env node
// Entry for `npx iseg-qa`.
// - Runs the bundled CLI (.cache/cli/main.mjs, see scripts/build-cli.mjs), rebuilding it when a
//   source under cli/ or lib/ is newer; falls back to the TypeScript sources through tsx.
// - The project needs Node >= 22 (pg-boss, onnxruntime-node 1.30); where the machine's Node is
//   older, re-runs under the Node 24 that `npm install` put in node_modules.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = dirname(dirname(realpathSync(fileURLToPath(import.meta.url))));
const bundle = join(root, '.cache', 'cli', 'main.mjs');
const major = Number(process.versions.node.split('.')[0]);

function newestSourceMs() {
  let newest = 0;
  const walk = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.(ts|mjs|js|json)$/.test(e.name)) newest = Math.max(newest, statSync(p).mtimeMs);
    }
  };
  for (const d of ['cli', 'lib']) if (existsSync(join(root, d))) walk(join(root, d));
  for (const f of ['package-lock.json', 'tsconfig.json']) if (existsSync(join(root, f))) newest = Math.max(newest, statSync(join(root, f)).mtimeMs);
  return newest;
}

async function freshBundle() {
  if (process.env.ISEG_CLI_NO_BUNDLE === '1') return false;
  if (existsSync(bundle) && statSync(bundle).mtimeMs >= newestSourceMs()) return true;
  try {
    const { buildCli } = await import(pathToFileURL(join(root, 'scripts', 'build-cli.mjs')).href);
    buildCli();
    return true;
  } catch {
    return false;
  }
}

const useBundle = await freshBundle();
if (useBundle && major >= 22) {
  // Same process: no second Node start-up.
  await import(pathToFileURL(bundle).href);
} else {
  const pinnedNode = join(root, 'node_modules', 'node', 'bin', 'node');
  const nodeBin = major >= 22 || !existsSync(pinnedNode) ? process.execPath : pinnedNode;
  const args = useBundle
    ? [bundle, ...process.argv.slice(2)]
    : ['--import', join(root, 'node_modules', 'tsx', 'dist', 'loader.mjs'), join(root, 'cli', 'main.ts'), ...process.argv.slice(2)];
  const r = spawnSync(nodeBin, args, {
    stdio: 'inherit',
    // tsx resolves the `@/` path alias from this tsconfig, whatever the user's working directory.
    env: { ...process.env, TSX_TSCONFIG_PATH: join(root, 'tsconfig.json') },
  });
  // exitCode, not process.exit(): the process ends once stderr is written (a pipe may be full).
  if (r.error) {
    console.error(`iseg-qa: could not start Node (${nodeBin}): ${r.error.message}`);
    process.exitCode = 1;
  } else process.exitCode = r.status ?? (r.signal ? 128 : 1);
}
