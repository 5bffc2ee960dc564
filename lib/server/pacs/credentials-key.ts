/**
 * The install's credentials key: 32 random bytes in `$ISEG_DATA_DIR/credentials-key`, created on
 * first use (O_EXCL, mode 0600, refused when group or others may read it, as the session secret
 * is: lib/server/auth/auth-secret.ts). It is kept out of the database on purpose: a database dump
 * or backup alone does not reveal a PACS password.
 *
 * sealText / openText: AES-256-GCM, "v1.<iv>.<tag>.<ciphertext>" in base64url. Used for PACS
 * passwords (PacsEndpoint.passwordEncrypted) and for the opaque study handles of the PACS query
 * page (a browser never sees a StudyInstanceUID it may not see, and cannot forge one).
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { AppError } from '../errors';
import { env } from '../env';

export const CREDENTIALS_KEY_FILE = 'credentials-key';

const cache = new Map<string, Buffer>();

/** The key (created on first use) under `dataDir` (default $ISEG_DATA_DIR). */
export function credentialsKey(dataDir: string = env().dataDir): Buffer {
  const file = path.join(path.resolve(dataDir), CREDENTIALS_KEY_FILE);
  const hit = cache.get(file);
  if (hit) return hit;
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  try {
    const fd = fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW, 0o600);
    try {
      fs.writeSync(fd, randomBytes(32).toString('base64url'));
      fs.fchmodSync(fd, 0o600);
    } finally {
      fs.closeSync(fd);
    }
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
  const st = fs.lstatSync(file);
  if (!st.isFile()) throw new AppError('INTERNAL', `${file} is not a regular file (a symbolic link?): remove it and enter the PACS passwords again.`);
  if ((st.mode & 0o077) !== 0) {
    throw new AppError('INTERNAL', `${file} is readable or writable by other users (mode ${(st.mode & 0o777).toString(8)}): run \`chmod 600 ${file}\`.`);
  }
  const key = Buffer.from(fs.readFileSync(file, 'utf8').trim(), 'base64url');
  if (key.length !== 32)
    throw new AppError('INTERNAL', `${file} does not hold a 32-byte key: remove it (a new one is made) and enter the PACS passwords again.`);
  cache.set(file, key);
  return key;
}

/** AES-256-GCM of `plain` under `key`: "v1.<iv>.<tag>.<ciphertext>" (base64url). */
export function sealText(key: Buffer, plain: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const data = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
  return ['v1', iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), data.toString('base64url')].join('.');
}

/** The text sealed by sealText, or null when `sealed` was not made under this key (or was altered). */
export function openText(key: Buffer, sealed: string): string | null {
  const [v, iv, tag, data] = sealed.split('.');
  if (v !== 'v1' || !iv || !tag || data === undefined) return null;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(data, 'base64url')), decipher.final()]).toString('utf8');
  } catch {
    return null;
  }
}
