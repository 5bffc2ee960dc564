/** The version recorded with every computed number: package version plus git commit when known. */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

let cached: string | undefined;

export function codeVersion(): string {
  if (cached) return cached;
  // import.meta.dirname is undefined in Next's server bundles (Turbopack): there the web server
  // runs in the repository root (npm start), so the working directory is the root.
  const here = (import.meta as { dirname?: string }).dirname;
  const root = here ? path.resolve(here, '..', '..') : process.cwd();
  let version = '0.0.0';
  try {
    version = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).version;
  } catch {}
  let commit = '';
  try {
    commit = execFileSync('git', ['rev-parse', '--short=12', 'HEAD'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {}
  cached = commit ? `iseg-qa ${version}+${commit}` : `iseg-qa ${version}`;
  return cached;
}
