/**
 * `next build` when the sources changed since the last build (npm start; the fault tests).
 * A fingerprint of everything the build reads is kept in .next/iseg-source-fingerprint. Two
 * starts at once never build together: the second waits for the first's lock, then checks again.
 * `reuse` (ISEG_REUSE_BUILD=1) starts with an existing build even when sources changed since; it
 * builds only when there is none (the fault tests use it, as others edit sources meanwhile).
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export class BuildError extends Error {}

/** A fingerprint of everything `next build` reads, so we rebuild only after a change. */
export function sourceFingerprint(root: string): string {
  const h = createHash('sha256');
  const walk = (rel: string) => {
    const p = path.join(root, rel);
    if (!fs.existsSync(p)) return;
    const st = fs.statSync(p);
    if (st.isDirectory()) {
      for (const e of fs.readdirSync(p).sort()) if (e !== 'generated' && e !== 'node_modules') walk(path.join(rel, e));
    } else if (/\.(tsx?|css|json|js|mjs)$/.test(p)) {
      h.update(rel).update(fs.readFileSync(p));
    }
  };
  for (const p of ['app', 'components', 'lib', 'proxy.ts', 'instrumentation.ts', 'next.config.js', 'package-lock.json', 'prisma/schema.prisma']) walk(p);
  return h.digest('hex');
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Holds `<root>/.cache/next-build.lock` (a folder naming its owner) while `fn` runs. */
function withBuildLock<T>(root: string, log: (l: string) => void, fn: () => T): T {
  const lock = path.join(root, '.cache', 'next-build.lock');
  fs.mkdirSync(path.dirname(lock), { recursive: true });
  let said = false;
  for (;;) {
    try {
      fs.mkdirSync(lock);
      fs.writeFileSync(path.join(lock, 'pid'), String(process.pid));
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const owner = Number(fs.readFileSync(path.join(lock, 'pid'), { encoding: 'utf8', flag: 'a+' }) || 0);
      if (owner && !processAlive(owner)) {
        fs.rmSync(lock, { recursive: true, force: true });
        continue;
      }
      if (!said) log(`Waiting for another build of the web app (pid ${owner || '?'}) to finish…`);
      said = true;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 500);
    }
  }
  try {
    return fn();
  } finally {
    fs.rmSync(lock, { recursive: true, force: true });
  }
}

/** @throws BuildError when `next build` fails (its messages are on the terminal). */
export function buildIfNeeded({ root, log, reuse = false }: { root: string; log: (l: string) => void; reuse?: boolean }): void {
  const stamp = path.join(root, '.next', 'iseg-source-fingerprint');
  const built = () => fs.existsSync(path.join(root, '.next', 'BUILD_ID'));
  const current = (fp: string) => built() && (reuse || (fs.existsSync(stamp) && fs.readFileSync(stamp, 'utf8') === fp));
  if (current(sourceFingerprint(root))) return;
  withBuildLock(root, log, () => {
    const fp = sourceFingerprint(root);
    if (current(fp)) return;
    log('Building the web app (first start or sources changed)…');
    const r = spawnSync(process.execPath, ['node_modules/next/dist/bin/next', 'build'], {
      cwd: root,
      stdio: 'inherit',
      env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1' },
    });
    if (r.status !== 0) throw new BuildError('`next build` failed; the messages above say why.');
    fs.writeFileSync(stamp, fp);
  });
}
