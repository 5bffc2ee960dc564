/**
 * The setup form's work: create the first administrator with the one-time token, and on failure
 * say why. A known failure (a wrong token, an admin who already exists, a bad email, a database
 * that cannot be reached) is shown as it is; anything else shows "Setup failed; see the server
 * log." and the reason goes to the server console, without secrets: the token, the password,
 * any bcrypt hash and any password in a connection URL are replaced by [redacted].
 */
import type { Db } from '@/lib/server/db/client';
import { AppError, toAppError } from '@/lib/server/errors';
import { completeSetup } from '@/lib/server/users/ensure-first-admin';

export interface SetupInput {
  token: string;
  email: string;
  name: string;
  password: string;
}

export const SETUP_FAILED = 'Setup failed; see the server log.';

/** The text with the given secrets, bcrypt hashes and URL passwords replaced by [redacted]. */
export function redactSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  // Longest first, so a secret that contains another is redacted whole. Very short strings would
  // redact ordinary words; the form requires longer ones anyway.
  for (const s of [...secrets].filter((x) => x.length >= 4).sort((a, b) => b.length - a.length)) out = out.split(s).join('[redacted]');
  return out.replace(/\$2[abxy]?\$\d{2}\$[./A-Za-z0-9]{53}/g, '[redacted]').replace(/(\b[a-z][a-z0-9+.-]*:\/\/[^:/?#\s@]+:)[^@\s/]+@/gi, '$1[redacted]@');
}

/** One line for the server console: what failed and why (error name, code, message), redacted. */
export function describeSetupFailure(e: unknown, secrets: readonly string[]): string {
  const err = e instanceof Error ? e : new Error(String(e));
  const code = (err as { code?: unknown }).code;
  const cause = err.cause instanceof Error ? ` (cause: ${err.cause.name}: ${err.cause.message})` : '';
  const reason = `${err.name}${typeof code === 'string' ? ` ${code}` : ''}: ${err.message}${cause}`.replace(/\s*\n\s*/g, ' ').trim();
  return `[setup] creating the first administrator failed: ${redactSecrets(reason, secrets).slice(0, 2000)}`;
}

/** Runs the setup; null on success, else the message for the form (the reason logged when it is not a known failure). */
export async function runSetup(db: Db, input: SetupInput): Promise<string | null> {
  try {
    await completeSetup(db, input);
    return null;
  } catch (e) {
    if (e instanceof AppError) return e.message;
    const secrets = [input.token, input.password];
    console.error(describeSetupFailure(e, secrets));
    const mapped = toAppError(e);
    return mapped.code === 'INTERNAL' ? SETUP_FAILED : redactSecrets(mapped.message, secrets);
  }
}
