/**
 * The per-install pseudonym secret, kept in the Setting table (readable only by whoever can read
 * the database anyway). Import makes patient pseudonyms from it (lib/server/studies/write-study.ts);
 * de-identified export remaps DICOM UIDs with it, and free text hides physician names with it
 * (present-free-text.ts). It lives here, under de-identification, so that `studies` imports
 * `deid` and never the other way round.
 */
import { randomBytes } from 'node:crypto';
import type { Db } from '../db/client';

const SECRET_KEY = 'pseudonym-secret';

/** The per-install pseudonym secret (created on first use). */
export async function getPseudonymSecret(db: Db): Promise<string> {
  const existing = await db.setting.findUnique({ where: { key: SECRET_KEY } });
  if (existing) return (existing.value as { secret: string }).secret;
  // Two first imports at once: createMany skips the loser's row, both then read the winner's.
  await db.setting.createMany({ data: [{ key: SECRET_KEY, value: { secret: randomBytes(32).toString('hex') } }], skipDuplicates: true });
  const row = await db.setting.findUniqueOrThrow({ where: { key: SECRET_KEY } });
  return (row.value as { secret: string }).secret;
}
