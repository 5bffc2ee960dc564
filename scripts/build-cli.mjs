// Bundles the iseg-qa command line (cli/main.ts and the project code it imports; npm packages
// stay external) into .cache/cli/main.mjs, so `iseg-qa` starts in plain Node without the tsx
// loader: start-up is most of a short command's time (bench/survival). cli/iseg-qa.mjs rebuilds
// the bundle when a source file is newer than it, and falls back to tsx if esbuild is missing.
// The bundle sits two folders below the root, like cli/commands/*.ts, so paths the code builds
// from import.meta.url (models/, package.json) resolve the same way.
import { buildSync } from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const bundlePath = path.join(root, '.cache', 'cli', 'main.mjs');

export function buildCli() {
  fs.mkdirSync(path.dirname(bundlePath), { recursive: true });
  const tmp = `${bundlePath}.${process.pid}.tmp`;
  buildSync({
    entryPoints: [path.join(root, 'cli', 'main.ts')],
    outfile: tmp,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    packages: 'external',
    tsconfig: path.join(root, 'tsconfig.json'),
    logLevel: 'error',
    // CommonJS packages imported from ESM need `require` in scope for esbuild's interop.
    banner: { js: "import { createRequire as __isegCreateRequire } from 'node:module'; const require = __isegCreateRequire(import.meta.url);" },
  });
  fs.renameSync(tmp, bundlePath);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    buildCli();
  } catch (e) {
    // Not fatal: the CLI runs through tsx without the bundle.
    console.error(`[iseg-qa] could not bundle the CLI (it will run through tsx): ${e.message}`);
  }
}
