/**
 * Checks an email and password. Every attempt is audited.
 *
 * Guessing is limited twice, with counters kept in the database so that they hold across web
 * processes and under parallel requests:
 * - per account: every attempt is counted (one atomic UPDATE … RETURNING) *before* the password is
 *   compared, so however many guesses arrive at once, at most MAX_FAILED_SIGN_INS of them are ever
 *   compared in a lock window; the MAX_FAILED_SIGN_INS-th failure, or any attempt beyond it, locks
 *   the account for LOCK_MINUTES. A right password is accepted only if the account is still
 *   unlocked when it is granted (again one conditional UPDATE), so a right guess racing wrong ones
 *   cannot clear a lock they set;
 * - per client address: failed attempts in a window of ADDRESS_WINDOW_MINUTES (a success gives its
 *   attempt back), so one source cannot try one common password across many accounts.
 *
 * The caller cannot tell an unknown account from a locked, inactive or wrong-password one: the
 * sign-in endpoint answers all of them alike (lib/server/sign-in/auth-options.ts), and each runs one
 * bcrypt comparison (against a dummy hash of the same cost for an unknown account), so the time
 * taken does not tell them apart either. Only the audit log records the true reason.
 */
import type { Db } from '../db/client';
import type { Caller, Role } from '../auth/roles';
import { hashPassword, verifyPassword } from '../auth/password';
import { recordAuditEvent } from '../audit/record-audit-event';

export const MAX_FAILED_SIGN_INS = 5;
export const LOCK_MINUTES = 15;
/** Failed sign-ins one client address may make per window, whatever the accounts. */
export const MAX_FAILED_SIGN_INS_PER_ADDRESS = 30;
export const ADDRESS_WINDOW_MINUTES = 15;

export type SignInFailure = 'INVALID_CREDENTIALS' | 'LOCKED' | 'INACTIVE' | 'THROTTLED';

export type AuthenticateResult = { ok: true; caller: Caller; sessionVersion: number } | { ok: false; reason: SignInFailure };

/** Key of the per-address counter when the request carries no address (only outside a web server). */
const UNKNOWN_ADDRESS = 'unknown';

let dummyHash: Promise<string> | undefined;
/** A bcrypt hash of the same cost as real ones, made once per process, for unknown accounts. */
function dummyPasswordHash(): Promise<string> {
  dummyHash ??= hashPassword(`no account ${Math.random()}`);
  return dummyHash;
}

/** Counts one attempt from `address`; returns the attempts in the current window, this one included. */
async function countAddressAttempt(db: Db, address: string): Promise<number> {
  const rows = await db.$queryRaw<{ attempts: number }[]>`
    INSERT INTO "SignInThrottle" ("address", "windowStart", "attempts")
    VALUES (${address}, now() AT TIME ZONE 'UTC', 1)
    ON CONFLICT ("address") DO UPDATE SET
      "attempts" = CASE WHEN "SignInThrottle"."windowStart" <= (now() AT TIME ZONE 'UTC') - make_interval(mins => ${ADDRESS_WINDOW_MINUTES}::int)
                        THEN 1 ELSE "SignInThrottle"."attempts" + 1 END,
      "windowStart" = CASE WHEN "SignInThrottle"."windowStart" <= (now() AT TIME ZONE 'UTC') - make_interval(mins => ${ADDRESS_WINDOW_MINUTES}::int)
                        THEN now() AT TIME ZONE 'UTC' ELSE "SignInThrottle"."windowStart" END
    RETURNING "attempts"`;
  return Number(rows[0].attempts);
}

/** A successful sign-in gives its attempt back: the address limit counts failures only. */
async function refundAddressAttempt(db: Db, address: string): Promise<void> {
  await db.$executeRaw`UPDATE "SignInThrottle" SET "attempts" = GREATEST("attempts" - 1, 0) WHERE "address" = ${address}`;
}

interface CountedAccount {
  id: string;
  passwordHash: string;
  active: boolean;
  /** Attempts in this lock window, this one included. */
  attempts: number;
  /** Locked now (by an earlier lock, or because this attempt is beyond the limit). */
  locked: boolean;
}

/**
 * Counts one attempt on the account, atomically, before any password is compared. An expired lock
 * starts a new window; an attempt beyond MAX_FAILED_SIGN_INS locks the account at once.
 */
async function countAccountAttempt(db: Db, email: string): Promise<CountedAccount | null> {
  const rows = await db.$queryRaw<CountedAccount[]>`
    WITH now_utc AS (SELECT now() AT TIME ZONE 'UTC' AS t)
    UPDATE "User" u SET
      "failedSignIns" = CASE WHEN u."lockedUntil" IS NOT NULL AND u."lockedUntil" <= now_utc.t THEN 1 ELSE u."failedSignIns" + 1 END,
      "lockedUntil" = CASE
        WHEN u."lockedUntil" > now_utc.t THEN u."lockedUntil"
        WHEN (CASE WHEN u."lockedUntil" IS NOT NULL AND u."lockedUntil" <= now_utc.t THEN 1 ELSE u."failedSignIns" + 1 END) > ${MAX_FAILED_SIGN_INS}::int
          THEN now_utc.t + make_interval(mins => ${LOCK_MINUTES}::int)
        ELSE NULL END
    FROM now_utc
    WHERE u."email" = ${email}
    RETURNING u."id", u."passwordHash", u."active", u."failedSignIns" AS "attempts",
      (u."lockedUntil" IS NOT NULL AND u."lockedUntil" > now_utc.t) AS "locked"`;
  if (rows.length === 0) return null;
  return { ...rows[0], attempts: Number(rows[0].attempts) };
}

/** The MAX_FAILED_SIGN_INS-th failure locks the account (unless a lock is already running). */
async function lockAccount(db: Db, id: string): Promise<void> {
  await db.$executeRaw`
    UPDATE "User" SET "lockedUntil" = (now() AT TIME ZONE 'UTC') + make_interval(mins => ${LOCK_MINUTES}::int)
    WHERE "id" = ${id} AND ("lockedUntil" IS NULL OR "lockedUntil" <= now() AT TIME ZONE 'UTC')`;
}

/**
 * Grants a right password: clears the counter only while the account is active and unlocked,
 * in one statement, so a lock set by parallel wrong guesses during the comparison still holds.
 */
async function grantSignIn(db: Db, id: string) {
  const rows = await db.$queryRaw<{ id: string; email: string; name: string; role: Role; sessionVersion: number }[]>`
    UPDATE "User" SET "failedSignIns" = 0, "lockedUntil" = NULL
    WHERE "id" = ${id} AND "active" AND ("lockedUntil" IS NULL OR "lockedUntil" <= now() AT TIME ZONE 'UTC')
    RETURNING "id", "email", "name", "role"::text AS "role", "sessionVersion"`;
  return rows[0] ?? null;
}

export async function authenticateUser(
  db: Db,
  { email, password, ip, userAgent }: { email: string; password: string; ip?: string; userAgent?: string },
): Promise<AuthenticateResult> {
  const normalised = email.trim().toLowerCase();
  const address = ip?.trim() || UNKNOWN_ADDRESS;
  const fail = async (reason: SignInFailure, details: Record<string, unknown> = {}) => {
    await recordAuditEvent(db, { action: 'auth.sign_in_failed', email: normalised, ip, userAgent, details: { reason, ...details } });
    return { ok: false as const, reason };
  };

  // Per address first: a throttled source learns nothing more and costs no bcrypt.
  const fromAddress = await countAddressAttempt(db, address);
  if (fromAddress > MAX_FAILED_SIGN_INS_PER_ADDRESS) return fail('THROTTLED', { address });

  const account = await countAccountAttempt(db, normalised);
  if (!account) {
    // Spend the same time as a real check so that response time does not reveal accounts.
    await verifyPassword(password, await dummyPasswordHash());
    return fail('INVALID_CREDENTIALS', { account: 'unknown' });
  }
  // Locked or inactive: compare anyway (and ignore the result) so the time taken is the same.
  const matches = await verifyPassword(password, account.passwordHash);
  if (account.locked || account.attempts > MAX_FAILED_SIGN_INS) return fail('LOCKED');
  if (!account.active) return fail('INACTIVE');
  if (!matches) {
    if (account.attempts >= MAX_FAILED_SIGN_INS) {
      await lockAccount(db, account.id);
      return fail('LOCKED');
    }
    return fail('INVALID_CREDENTIALS');
  }
  const user = await grantSignIn(db, account.id);
  // Locked (or deactivated) while the password was being compared.
  if (!user) return fail('LOCKED', { lockedDuringCheck: true });
  await refundAddressAttempt(db, address);
  const caller: Caller = { userId: user.id, email: user.email, name: user.name, role: user.role, ip, userAgent };
  await recordAuditEvent(db, { action: 'auth.sign_in', caller });
  return { ok: true, caller, sessionVersion: Number(user.sessionVersion) };
}
