/**
 * Save new QA flag thresholds (permission flags:manage): a new FlagRuleSet version (n + 1 after
 * n), every run summary's flags recomputed with it, and an audit event ('flags.rules.save', with
 * the previous and new thresholds, the note and how many runs' flags changed), in one
 * transaction. It holds the flag-rules advisory lock exclusively, so a run finishing meanwhile
 * (persistRunResults takes it shared) writes its flags under one rule set or the other, never a
 * stale one after this commits.
 *
 * `basedOnVersion` (the version the admin's page showed; 0 = the defaults): when another save
 * came in between, the save is refused (CONFLICT) rather than overwriting thresholds the admin
 * has not seen.
 * @throws AppError UNAUTHORIZED / FORBIDDEN, INVALID_INPUT (names the field), CONFLICT.
 */
import { FlagRuleError, parseFlagThresholds, type FlagThresholds } from '@/lib/core/flags';
import { authorize, type Caller } from '../auth/roles';
import type { Db } from '../db/client';
import { AppError } from '../errors';
import { recordAuditEvent } from '../audit/record-audit-event';
import { applyFlagRules } from './apply-flag-rules';
import { FLAG_RULES_LOCK, loadFlagRules } from './load-flag-rules';

export interface FlagRulesInput {
  itvDice: unknown;
  phaseGtvDice: unknown;
  largeFpCc: unknown;
  distantFpMm: unknown;
  note?: unknown;
  basedOnVersion?: unknown;
}

export interface SaveFlagRulesResult {
  version: number;
  thresholds: FlagThresholds;
  /** Run summaries whose flags differ after the save. */
  changedRuns: number;
}

function basedOn(v: unknown): number | null {
  if (v === undefined || v === null || v === '') return null;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new AppError('INVALID_INPUT', `basedOnVersion ${JSON.stringify(v)} is not a version number; reload the page.`);
  return n;
}

export async function saveFlagRules(db: Db, { caller, input }: { caller: Caller | null | undefined; input: FlagRulesInput }): Promise<SaveFlagRulesResult> {
  const who = authorize(caller, 'flags:manage');
  const expected = basedOn(input.basedOnVersion);
  let thresholds: FlagThresholds;
  try {
    thresholds = parseFlagThresholds({ itvDice: input.itvDice, phaseGtvDice: input.phaseGtvDice, largeFpCc: input.largeFpCc, distantFpMm: input.distantFpMm });
  } catch (e) {
    if (e instanceof FlagRuleError) throw new AppError('INVALID_INPUT', e.message);
    throw e;
  }
  const noteRaw = typeof input.note === 'string' ? input.note.trim() : '';
  if (noteRaw.length > 500) throw new AppError('INVALID_INPUT', `The note is ${noteRaw.length} characters; keep it to 500.`);
  const note = noteRaw || null;
  try {
    return await db.$transaction(
      async (tx) => {
        await tx.$executeRaw`SELECT pg_advisory_xact_lock(${FLAG_RULES_LOCK}::bigint)`;
        const current = await loadFlagRules(tx);
        if (expected !== null && expected !== current.version)
          throw new AppError(
            'CONFLICT',
            `The flag thresholds changed since this page was loaded (now version ${current.version}, the page showed ${expected}); nothing was saved. Reload the page and save again.`,
          );
        const version = current.version + 1;
        await tx.flagRuleSet.create({ data: { version, thresholds: { ...thresholds }, createdById: who.userId, createdByEmail: who.email, note } });
        const applied = await applyFlagRules(tx, { thresholds });
        await recordAuditEvent(tx, {
          action: 'flags.rules.save',
          caller: who,
          target: `flag-rules:v${version}`,
          details: {
            version,
            previousVersion: current.version,
            previous: { ...current.thresholds },
            thresholds: { ...thresholds },
            note,
            changedRuns: applied.changed,
          },
        });
        return { version, thresholds, changedRuns: applied.changed };
      },
      { timeout: 120_000, maxWait: 30_000 },
    );
  } catch (e) {
    if (typeof e === 'object' && e !== null && (e as { code?: string }).code === 'P2002')
      throw new AppError('CONFLICT', 'Another administrator saved the flag thresholds at the same moment; nothing was saved. Reload the page and save again.');
    throw e;
  }
}
