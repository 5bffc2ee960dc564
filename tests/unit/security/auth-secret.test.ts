/**
 * The session secret file (lib/server/auth/auth-secret.ts): generated once with mode 0600,
 * reused on the next start, never overwritten, and refused when others could read it.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AuthSecretError, ensureAuthSecret } from '../../../lib/server/auth/auth-secret';

const dirs: string[] = [];
function tmp(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'iseg-secret-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

describe('ensureAuthSecret', () => {
  it('uses NEXTAUTH_SECRET when given and writes no file', () => {
    const d = tmp();
    const r = ensureAuthSecret({ dataDir: d, provided: 'x'.repeat(40) });
    expect(r).toEqual({ secret: 'x'.repeat(40), source: 'env' });
    expect(fs.existsSync(path.join(d, 'auth-secret'))).toBe(false);
  });

  it('generates a 0600 secret on first start and reads the same one on the next', () => {
    const d = path.join(tmp(), 'data'); // does not exist yet
    const first = ensureAuthSecret({ dataDir: d });
    expect(first.source).toBe('generated');
    expect(first.secret.length).toBeGreaterThanOrEqual(32);
    const st = fs.statSync(path.join(d, 'auth-secret'));
    expect(st.mode & 0o777).toBe(0o600);
    const second = ensureAuthSecret({ dataDir: d });
    expect(second).toEqual({ secret: first.secret, source: 'file', file: path.join(d, 'auth-secret') });
    // a different data directory gets a different secret
    expect(ensureAuthSecret({ dataDir: tmp() }).secret).not.toBe(first.secret);
  });

  it('refuses a secret file that the group or others can read, naming the file and the fix', () => {
    const d = tmp();
    ensureAuthSecret({ dataDir: d });
    const file = path.join(d, 'auth-secret');
    for (const mode of [0o640, 0o604, 0o660, 0o644]) {
      fs.chmodSync(file, mode);
      expect(() => ensureAuthSecret({ dataDir: d })).toThrow(AuthSecretError);
      expect(() => ensureAuthSecret({ dataDir: d })).toThrow(`chmod 600 ${file}`);
    }
    fs.chmodSync(file, 0o400);
    expect(ensureAuthSecret({ dataDir: d }).source).toBe('file');
  });

  it('refuses a symbolic link and a too-short secret, and never overwrites an existing file', () => {
    const d = tmp();
    const target = path.join(tmp(), 'elsewhere');
    fs.writeFileSync(target, 'y'.repeat(40), { mode: 0o600 });
    fs.symlinkSync(target, path.join(d, 'auth-secret'));
    expect(() => ensureAuthSecret({ dataDir: d })).toThrow(/not a regular file/);
    expect(fs.readFileSync(target, 'utf8')).toBe('y'.repeat(40));

    const d2 = tmp();
    fs.writeFileSync(path.join(d2, 'auth-secret'), 'short', { mode: 0o600 });
    expect(() => ensureAuthSecret({ dataDir: d2 })).toThrow(/holds 5 characters/);
    expect(fs.readFileSync(path.join(d2, 'auth-secret'), 'utf8')).toBe('short');
  });
});
