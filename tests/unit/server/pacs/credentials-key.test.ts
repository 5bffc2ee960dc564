/**
 * The credentials key that seals PACS passwords: created once with mode 0600 and reused; sealed
 * text opens only under the same key and not after a change of one character; a key file that
 * others may read is refused with the chmod to run.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { credentialsKey, openText, sealText } from '@/lib/server/pacs/credentials-key';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'iseg-credkey-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('credentials key', () => {
  it('is created once (mode 0600) and seals text that opens only under it, unaltered', () => {
    const dir = path.join(tmp, 'a');
    const key = credentialsKey(dir);
    expect(key).toHaveLength(32);
    expect(fs.statSync(path.join(dir, 'credentials-key')).mode & 0o777).toBe(0o600);
    expect(credentialsKey(dir).equals(key)).toBe(true);
    const sealed = sealText(key, 'p@ss wörd');
    expect(sealed).toMatch(/^v1\.[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(sealed).not.toContain('p@ss');
    expect(sealText(key, 'p@ss wörd')).not.toBe(sealed); // a fresh IV each time
    expect(openText(key, sealed)).toBe('p@ss wörd');
    const other = credentialsKey(path.join(tmp, 'b'));
    expect(openText(other, sealed)).toBeNull();
    const parts = sealed.split('.');
    const flipped = parts[3][0] === 'A' ? 'B' + parts[3].slice(1) : 'A' + parts[3].slice(1);
    expect(openText(key, [parts[0], parts[1], parts[2], flipped].join('.'))).toBeNull();
    expect(openText(key, 'not sealed')).toBeNull();
  });

  it('refuses a key file that group or others may read', () => {
    const dir = path.join(tmp, 'c');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'credentials-key'), Buffer.alloc(32, 1).toString('base64url'), { mode: 0o644 });
    fs.chmodSync(path.join(dir, 'credentials-key'), 0o644);
    expect(() => credentialsKey(dir)).toThrow(/readable or writable by other users \(mode 644\): run `chmod 600/);
  });
});
