/**
 * `npm start` (scripts/start.ts) refuses a session secret file that others can read, before it
 * starts anything (no Postgres cluster is created), with the chmod to run; exit code 2.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '..', '..', '..');
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'iseg-start-secret-'));

afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

describe('npm start and the auth secret file', () => {
  it('stops with exit code 2 and the fix when auth-secret is group/world-readable', () => {
    const file = path.join(dataDir, 'auth-secret');
    fs.writeFileSync(file, 'z'.repeat(43), { mode: 0o644 });
    fs.chmodSync(file, 0o644);
    const env: Record<string, string | undefined> = { ...process.env, ISEG_DATA_DIR: dataDir, PORT: '1', ISEG_SEED_DEMO: '0' };
    delete env.NEXTAUTH_SECRET;
    delete env.DATABASE_URL;
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], {
      cwd: root,
      env: env as NodeJS.ProcessEnv,
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toContain(`${file} is readable or writable by other users (mode 644)`);
    expect(r.stderr).toContain(`chmod 600 ${file}`);
    expect(fs.existsSync(path.join(dataDir, 'pg'))).toBe(false);
    expect(fs.readFileSync(file, 'utf8')).toBe('z'.repeat(43));
  }, 90_000);
});
