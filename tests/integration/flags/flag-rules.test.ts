/**
 * QA flag thresholds set by an admin (issue 16, item 6) on a real Postgres: summaries stored
 * under the old single Dice rule (a case with ITV 0.81 flagged "low Dice" for one phase, ITV
 * 0.58 and 0.61 unflagged) are brought to the current rules at start-up (reconcileRunFlags);
 * physicists and researchers cannot save thresholds (nothing written); an admin's save is a new
 * version, audited, and changes the flags the cohort page reads; a stale page's save is refused;
 * a run finishing after the save writes its flags under the new thresholds.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';
import { runSummaryCreate, type RunSummary } from '@/lib/server/runs/run-summary.types';
import { reconcileRunFlags } from '@/lib/server/flags/apply-flag-rules';
import { saveFlagRules } from '@/lib/server/flags/save-flag-rules';
import { findFlagRules } from '@/lib/server/flags/find-flag-rules';
import { findCohortCases } from '@/lib/server/cohort/find-cohort-cases';
import { persistRunResults } from '@/lib/server/runs/persist-run-results';
import type { Caller } from '@/lib/server/auth/roles';

const who = (role: Caller['role']): Caller => ({ userId: `u-${role}`, email: `${role.toLowerCase()}@x.org`, name: role, role });
const noFilters = { institution: null, from: null, to: null, model: null, physician: null, scanner: null };

/** A 4D summary stored the way the old code did: one Dice threshold (0.5) for the ITV and every phase. */
function oldSummary(itvDice: number, phaseDice: number[], oldFlags: RunSummary['flags']): RunSummary {
  return {
    schemaVersion: 1,
    phases: phaseDice.map((d, i) => ({
      phaseIndex: i,
      phasePercent: i * 10,
      machineCc: 10,
      physicianCc: 10,
      machineCentroidMm: [0, 0, i],
      physicianCentroidMm: [0, 0, i],
      dice: d,
      hd95Mm: 3,
      fpCc: 0.5,
      outlier: false,
    })),
    gtv: { medianDice: phaseDice[1]!, minDice: Math.min(...phaseDice), medianHd95Mm: 3, medianFpCc: 0.5 },
    itv: {
      dice: itvDice,
      hd95Mm: 4,
      fpVoxels: 10,
      fpCc: 1.5,
      fpFraction: 0.1,
      fnCc: 1,
      machineCc: 20,
      physicianCc: 20,
      maxFpDistanceMm: 3,
      largestFpRegionCc: 1,
    },
    motion: { machine: null, physician: null },
    flags: oldFlags,
    thresholds: { itvDice: 0.5, phaseGtvDice: 0.5, largeFpCc: 5, distantFpMm: 10 },
  };
}

describe('flag rules: versioned, audited, and the stored flags follow them', () => {
  let t: TestDatabase;
  let modelId: string;
  const runs: Record<string, string> = {};
  const flagsOf = async () => {
    const { cases } = await findCohortCases(t.db, { caller: who('PHYSICIST'), filters: noFilters });
    return Object.fromEntries(cases.map((c) => [c.pseudonym, c.flags]));
  };

  beforeAll(async () => {
    t = await createTestDatabase('flag_rules');
    const inst = await t.db.institution.create({ data: { name: 'Alpha' } });
    modelId = (await t.db.modelVersion.create({ data: { name: 'iseg', version: '1', sha256: 'a'.repeat(64), manifest: {} } })).id;
    const add = async (k: string, s: RunSummary | null) => {
      const p = await t.db.patient.create({ data: { pseudonym: `PSN-${k}`, institutionId: inst.id } });
      const st = await t.db.study.create({
        data: { patientId: p.id, studyInstanceUid: `2.25.7${k.charCodeAt(0)}`, contentHash: `h-${k}`, studyDate: new Date('2024-03-10T00:00:00Z') },
      });
      const r = await t.db.segmentationRun.create({
        data: {
          studyId: st.id,
          modelVersionId: modelId,
          status: s ? 'SUCCEEDED' : 'RUNNING',
          queuedAt: new Date('2024-04-01T00:00:00Z'),
          ...(s ? { finishedAt: new Date('2024-04-01T01:00:00Z'), summary: { create: runSummaryCreate(s) } } : { startedAt: new Date() }),
        },
      });
      runs[k] = r.id;
    };
    await add('A', oldSummary(0.58, [0.6, 0.55, 0.62, 0.57], []));
    await add('B', oldSummary(0.61, [0.63, 0.6, 0.66, 0.59], []));
    await add('C', oldSummary(0.81, [0.85, 0.8, 0.83, 0.42], ['LOW_DICE']));
    await add('D', null);
  });
  afterAll(async () => t.drop());

  it('start-up brings old summaries to the current (default) rules: ITV 0.58 and 0.61 are low Dice, ITV 0.81 has only a phase flag', async () => {
    expect(await flagsOf()).toMatchObject({ 'PSN-A': [], 'PSN-B': [], 'PSN-C': ['LOW_DICE'] });
    const r = await reconcileRunFlags(t.db);
    expect(r).toEqual({ version: 0, rewritten: 3, changed: 3 });
    expect(await flagsOf()).toMatchObject({ 'PSN-A': ['LOW_DICE'], 'PSN-B': ['LOW_DICE'], 'PSN-C': ['LOW_PHASE_DICE'] });
    const row = await t.db.runSummary.findUniqueOrThrow({ where: { runId: runs.C } });
    expect([row.lowDiceThreshold, row.phaseDiceThreshold]).toEqual([0.65, 0.5]);
    // A second start changes nothing.
    expect(await reconcileRunFlags(t.db)).toEqual({ version: 0, rewritten: 0, changed: 0 });
  });

  it('physicists and researchers cannot save thresholds; nothing is written', async () => {
    const input = { itvDice: '0.6', phaseGtvDice: '0.5', largeFpCc: '5', distantFpMm: '10', basedOnVersion: '0' };
    for (const role of ['PHYSICIST', 'RESEARCHER', 'REVIEWER'] as const) {
      await expect(saveFlagRules(t.db, { caller: who(role), input })).rejects.toMatchObject({ code: 'FORBIDDEN' });
      await expect(findFlagRules(t.db, { caller: who(role) })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    }
    await expect(saveFlagRules(t.db, { caller: null, input })).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    expect(await t.db.flagRuleSet.count()).toBe(0);
    expect(await t.db.auditEvent.count({ where: { action: 'flags.rules.save' } })).toBe(0);
  });

  it('bad thresholds are refused naming the field', async () => {
    await expect(
      saveFlagRules(t.db, { caller: who('ADMIN'), input: { itvDice: '1.5', phaseGtvDice: '0.5', largeFpCc: '5', distantFpMm: '10' } }),
    ).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining('"itvDice" is 1.5') });
    await expect(
      saveFlagRules(t.db, { caller: who('ADMIN'), input: { itvDice: '0.6', phaseGtvDice: '', largeFpCc: '5', distantFpMm: '10' } }),
    ).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining('"phaseGtvDice"') });
    expect(await t.db.flagRuleSet.count()).toBe(0);
  });

  it("an admin's save is a new version, audited, and the cohort's flags change with it", async () => {
    const r = await saveFlagRules(t.db, {
      caller: who('ADMIN'),
      input: { itvDice: '0.6', phaseGtvDice: '0.4', largeFpCc: '5', distantFpMm: '10', note: 'meeting 2026-12-06', basedOnVersion: '0' },
    });
    expect(r).toEqual({ version: 1, thresholds: { itvDice: 0.6, phaseGtvDice: 0.4, largeFpCc: 5, distantFpMm: 10 }, changedRuns: 2 });
    expect(await flagsOf()).toMatchObject({ 'PSN-A': ['LOW_DICE'], 'PSN-B': [], 'PSN-C': [] });
    const audit = await t.db.auditEvent.findMany({ where: { action: 'flags.rules.save' } });
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ userEmail: 'admin@x.org', target: 'flag-rules:v1' });
    expect(audit[0].details).toMatchObject({
      version: 1,
      previousVersion: 0,
      previous: { itvDice: 0.65, phaseGtvDice: 0.5 },
      thresholds: { itvDice: 0.6, phaseGtvDice: 0.4 },
      note: 'meeting 2026-12-06',
      changedRuns: 2,
    });
    const view = await findFlagRules(t.db, { caller: who('ADMIN') });
    expect(view.current).toEqual({ version: 1, thresholds: { itvDice: 0.6, phaseGtvDice: 0.4, largeFpCc: 5, distantFpMm: 10 } });
    expect(view.versions.map((v) => [v.version, v.createdByEmail, v.note])).toEqual([[1, 'admin@x.org', 'meeting 2026-12-06']]);
  });

  it("a stale page's save is refused; the next save is version 2", async () => {
    await expect(
      saveFlagRules(t.db, { caller: who('ADMIN'), input: { itvDice: '0.7', phaseGtvDice: '0.5', largeFpCc: '5', distantFpMm: '10', basedOnVersion: '0' } }),
    ).rejects.toMatchObject({ code: 'CONFLICT' });
    const r = await saveFlagRules(t.db, {
      caller: who('ADMIN'),
      input: { itvDice: '0.7', phaseGtvDice: '0.5', largeFpCc: '5', distantFpMm: '10', basedOnVersion: '1' },
    });
    expect(r.version).toBe(2);
    expect(await flagsOf()).toMatchObject({ 'PSN-A': ['LOW_DICE'], 'PSN-B': ['LOW_DICE'], 'PSN-C': ['LOW_PHASE_DICE'] });
  });

  it('a run finishing after a save stores its flags under the current thresholds, not the ones it was built with', async () => {
    const built = oldSummary(0.68, [0.7, 0.7], []);
    expect(
      await persistRunResults({
        db: t.db,
        runId: runs.D,
        studyId: (await t.db.segmentationRun.findUniqueOrThrow({ where: { id: runs.D } })).studyId,
        measured: [],
        summary: built,
        timings: {},
      }),
    ).toBe('succeeded');
    const row = await t.db.runSummary.findUniqueOrThrow({ where: { runId: runs.D } });
    expect(row.flags).toEqual(['LOW_DICE']);
    expect(row.lowDiceThreshold).toBe(0.7);
  });
});
