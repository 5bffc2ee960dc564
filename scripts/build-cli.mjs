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
export const bundleDir = path.join(root, '.cache', 'cli');
export const bundlePath = path.join(bundleDir, 'main.mjs');

export function buildCli() {
  fs.mkdirSync(path.dirname(bundleDir), { recursive: true });
  const tmp = `${bundleDir}.${process.pid}.tmp`;
  fs.rmSync(tmp, { recursive: true, force: true });
  buildSync({
    entryPoints: [path.join(root, 'cli', 'main.ts')],
    outdir: tmp,
    outExtension: { '.js': '.mjs' },
    // One chunk per command: `iseg-qa survival` does not load dcmjs or onnxruntime.
    splitting: true,
    chunkNames: 'chunk-[hash]',
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
  // Swap the whole folder so a concurrent run never sees half a bundle.
  const old = `${bundleDir}.${process.pid}.old`;
  if (fs.existsSync(bundleDir)) fs.renameSync(bundleDir, old);
  fs.renameSync(tmp, bundleDir);
  fs.rmSync(old, { recursive: true, force: true });
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    buildCli();
  } catch (e) {
    // Not fatal: the CLI runs through tsx without the bundle.
    console.error(`[iseg-qa] could not bundle the CLI (it will run through tsx): ${e.message}`);
  }
}
