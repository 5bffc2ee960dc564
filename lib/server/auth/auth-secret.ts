/**
 * The session-signing secret (NEXTAUTH_SECRET). When the operator does not provide one, the first
 * start generates 32 random bytes and keeps them in $ISEG_DATA_DIR/auth-secret so that sessions
 * survive a restart. The file is created with O_EXCL and mode 0600 (two starts racing cannot both
 * write it, and no one else on the machine can read it); a start refuses a file that the group or
 * others may read, because anyone holding the secret can forge an admin session.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export const AUTH_SECRET_FILE = 'auth-secret';
/** next-auth signs and encrypts JWTs with it; 32 bytes of entropy at least. */
export const MIN_SECRET_LENGTH = 32;

export class AuthSecretError extends Error {
  readonly code = 'INVALID_CONFIG' as const;
  constructor(message: string) {
    super(message);
    this.name = 'AuthSecretError';
  }
}

export interface AuthSecret {
  secret: string;
  /** Where it came from: the environment, an existing file, or a file generated now. */
  source: 'env' | 'file' | 'generated';
  file?: string;
}

/**
 * The secret to sign sessions with: `provided` (NEXTAUTH_SECRET) when set, else the content of
 * `dataDir/auth-secret`, generated on first use.
 * @throws AuthSecretError when the file is readable or writable by group or others, is not a
 *   regular file (a symbolic link is refused), or holds fewer than 32 characters.
 */
export function ensureAuthSecret({ dataDir, provided }: { dataDir: string; provided?: string }): AuthSecret {
  if (provided) return { secret: provided, source: 'env' };
  const file = path.join(dataDir, AUTH_SECRET_FILE);
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  let generated = false;
  try {
    // O_EXCL: fails if the file exists (or is a dangling symlink), so an existing secret is never
    // overwritten and a planted link is never followed.
    const fd = fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW, 0o600);
    try {
      fs.writeSync(fd, randomBytes(32).toString('base64url'));
      // The umask cannot widen 0600, but set it explicitly in case the file system ignores modes at open.
      fs.fchmodSync(fd, 0o600);
    } finally {
      fs.closeSync(fd);
    }
    generated = true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
  const st = fs.lstatSync(file);
  if (!st.isFile()) {
    throw new AuthSecretError(`${file} is not a regular file (is it a symbolic link?). Remove it; a new secret is generated on the next start.`);
  }
  if ((st.mode & 0o077) !== 0) {
    throw new AuthSecretError(
      `${file} is readable or writable by other users (mode ${(st.mode & 0o777).toString(8)}): anyone who can read it can forge sessions. ` +
        `Run \`chmod 600 ${file}\` (and consider replacing the secret: delete the file and restart; everyone signs in again).`,
    );
  }
  const secret = fs.readFileSync(file, 'utf8').trim();
  if (secret.length < MIN_SECRET_LENGTH) {
    throw new AuthSecretError(
      `${file} holds ${secret.length} characters; a session secret needs at least ${MIN_SECRET_LENGTH}. Delete the file to have a new one generated, or set NEXTAUTH_SECRET.`,
    );
  }
  return { secret, source: generated ? 'generated' : 'file', file };
}
