/**
 * PHI typed into DICOM free text (issue: a StudyDescription "CT THORAX DOE^JANE MRN-777111 DOB
 * 1950-01-02" reached researchers, reviewers and admins). A 2-phase phantom study is written as
 * real DICOM with identifiers planted in every free-text field iSeg QA reads: StudyDescription,
 * SeriesDescription, ROI names (GTV, ITV and a body contour), ReferringPhysicianName (the
 * study's physician), ImageComments. It is imported, segmented (the "model" returns the physician
 * GTV, so metrics exist), reviewed, and then every data-access function a page, API route or
 * export calls is asked as each role:
 * - researcher, reviewer, admin (no identifiers:view): no planted fragment anywhere in what they
 *   get, exports included (metrics CSV, minutes CSV, de-identified DICOM zip, audit log);
 *   the structures appear by role ("GTV 50%", "ITV"), the physician by a keyed pseudonym;
 * - physicist: sees the description and the ROI names, and the view is audited with them;
 * - exports are normalised for every role, the physicist's de-identified zip included.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generatePatient, samplePatientSpec } from '@/lib/core/phantom';
import { readDicom, writeCtSeries, writeRtStruct } from '@/lib/dicom';
import { writeFileSync, mkdirSync } from 'node:fs';
import type { Caller } from '@/lib/server/auth/roles';
import { importStudy } from '@/lib/server/studies/import-study';
import { createVolumeStore, type VolumeStore } from '@/lib/server/storage/volume-store';
import { executeSegmentationRun, type SegmentFn } from '@/lib/server/runs/execute-segmentation-run';
import { getStudyView } from '@/lib/server/studies/get-study-view';
import { getStudyRunStatus } from '@/lib/server/studies/get-study-run-status';
import { getStudyPhaseSeries } from '@/lib/server/studies/get-study-phase-series';
import { getStudyVolume } from '@/lib/server/studies/get-study-volume';
import { exportStudyMetricsCsv } from '@/lib/server/studies/export-study-metrics-csv';
import { exportDeidStudy } from '@/lib/server/deid/export-deid-study';
import { findCohortCases } from '@/lib/server/cohort/find-cohort-cases';
import { findCohortFilterOptions } from '@/lib/server/cohort/find-cohort-filter-options';
import { findReviewQueue } from '@/lib/server/review/find-review-queue';
import { getReviewCase } from '@/lib/server/review/get-review-case';
import { findMeetingMinutes, minutesCsvRows } from '@/lib/server/review/find-meeting-minutes';
import { recordReviewDecision } from '@/lib/server/review/record-review-decision';
import { formatMinutesCsv } from '@/lib/core/review/format-minutes-csv';
import { findSegmentationRuns } from '@/lib/server/jobs/find-segmentation-runs';
import { findAuditEvents } from '@/lib/server/audit/find-audit-events';
import { auditCsvLine } from '@/lib/server/audit/format-audit-csv';
import { getOutcomeDataset } from '@/lib/server/outcomes/get-outcome-dataset';
import type { CohortFilters } from '@/lib/server/cohort/find-cohort-cases.types';
import type { Mask } from '@/lib/core/volume';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';

const who = (role: Caller['role']): Caller => ({ userId: `u-${role}`, email: `${role.toLowerCase()}@example.org`, name: `Test ${role.toLowerCase()}`, role });
const PHYSICIST = who('PHYSICIST');
const RESEARCHER = who('RESEARCHER');
const REVIEWER = who('REVIEWER');
const ADMIN = who('ADMIN');

const STUDY_DESCRIPTION = 'CT THORAX DOE^JANE MRN-777111 DOB 1950-01-02';
const PHYSICIAN = 'HOUSE^GREGORY^DR';
const roiName = (p: number) => `GTV_${p}% ROINOTE-5523 MRN-777111`;
const ITV_NAME = 'ITV ROINOTE-5524 DOE^JANE';
const BODY_NAME = 'BODY ROINOTE-5525 1950-01-02';
/** What no role without identifiers:view may find, in any form it could be copied. */
const NEEDLES = [
  'DOE^JANE',
  'DOE JANE',
  'MRN-777111',
  '777111',
  '1950-01-02',
  '19500102',
  'THORAX',
  'SERIESNOTE',
  'ROINOTE',
  'COMMENTNOTE',
  'HOUSE',
  'GREGORY',
];
const none: CohortFilters = { institution: null, from: null, to: null, model: null, physician: null, scanner: null };

function found(what: unknown): string[] {
  const text = typeof what === 'string' ? what : what instanceof Uint8Array ? Buffer.from(what).toString('latin1') : JSON.stringify(what);
  return NEEDLES.filter((n) => text.toUpperCase().includes(n));
}

describe('free text from DICOM reaches no role without identifiers:view', () => {
  let t: TestDatabase;
  let tmp: string;
  let store: VolumeStore;
  let studyId: string;
  const stages: string[] = [];

  beforeAll(async () => {
    t = await createTestDatabase('free_text_phi');
    tmp = mkdtempSync(join(tmpdir(), 'iseg-freetext-'));
    store = createVolumeStore({ dir: join(tmp, 'volumes') });
    const patient = generatePatient(samplePatientSpec('free-text', 2), { dims: [32, 32, 16], spacingMm: [10, 10, 12], phasePercents: [0, 50] });
    const dicomDir = join(tmp, 'dicom');
    patient.phases.forEach((phase, n) => {
      writeCtSeries(join(dicomDir, `phase_${n}`), phase.ct!, {
        patientName: 'DOE^JANE',
        patientId: 'MRN-777111',
        patientBirthDate: '19500102',
        studyInstanceUid: '1.2.826.0.1.3680043.2.1125.77.1',
        seriesInstanceUid: `1.2.826.0.1.3680043.2.1125.77.2.${n}`,
        frameOfReferenceUid: '1.2.826.0.1.3680043.2.1125.77.3',
        studyDate: '20260115',
        studyDescription: STUDY_DESCRIPTION,
        seriesNumber: 100 + n,
        seriesDescription: `CT ${phase.phasePercent}% SERIESNOTE-4412 DOE^JANE`,
        manufacturer: 'ACME',
        manufacturerModelName: 'Scan 9',
        institutionName: 'Free Text Hospital',
        referringPhysicianName: PHYSICIAN,
        temporalPositionIndex: n + 1,
        numberOfTemporalPositions: patient.phases.length,
        imageComments: 'COMMENTNOTE-6634 call the daughter',
      });
    });
    const read = await readDicom(dicomDir);
    mkdirSync(join(dicomDir, 'rt'), { recursive: true });
    patient.phases.forEach((phase, n) => {
      const series = read.series.find((s) => s.seriesInstanceUid === `1.2.826.0.1.3680043.2.1125.77.2.${n}`)!;
      const structures = [{ name: roiName(phase.phasePercent), mask: phase.physicianGtv }];
      if (n === 0) structures.push({ name: ITV_NAME, mask: patient.physicianItv }, { name: BODY_NAME, mask: patient.physicianItv });
      writeFileSync(join(dicomDir, 'rt', `rs_${n}.dcm`), writeRtStruct({ series, structures, label: 'DOE^JANE', now: new Date(Date.UTC(2026, 0, 1)) }).bytes);
    });
    const imported = await importStudy({ db: t.db, caller: PHYSICIST, dir: dicomDir, store });
    studyId = imported.studyId;
    const stored = await t.db.study.findUniqueOrThrow({ where: { id: studyId }, include: { series: true, physicianStructures: true } });
    // the premise: the free text is stored as it came
    expect(stored.description).toBe(STUDY_DESCRIPTION);
    expect(stored.physician).toBe(PHYSICIAN);
    expect(stored.series.map((s) => s.description).join()).toContain('SERIESNOTE');
    expect(stored.physicianStructures.map((p) => p.name).sort()).toEqual([BODY_NAME, roiName(0), roiName(50), ITV_NAME].sort());

    // a "model" that returns the physician GTV of each phase, so every metric row exists
    const masks: Mask[] = patient.phases.map((p) => p.physicianGtv);
    let phase = 0;
    const segment: SegmentFn = async (ct) => ({ mask: { grid: ct.grid, data: Uint8Array.from(masks[phase++].data as ArrayLike<number>) }, timingsMs: {} });
    const mv = await t.db.modelVersion.create({ data: { name: 'test-model', version: '1', sha256: 'c'.repeat(64), manifest: {} } });
    const run = await t.db.segmentationRun.create({ data: { studyId, modelVersionId: mv.id, status: 'QUEUED' } });
    expect(
      await executeSegmentationRun({
        db: t.db,
        store,
        runId: run.id,
        segment,
        attempt: 1,
        maxAttempts: 1,
        codeVersion: 'test',
        onStage: (s) => void stages.push(s),
      }),
    ).toBe('succeeded');
    await t.db.user.createMany({ data: [REVIEWER, PHYSICIST].map((c) => ({ id: c.userId, email: c.email, name: c.name, passwordHash: 'x', role: c.role })) });
    await recordReviewDecision(t.db, { caller: REVIEWER, input: { studyId, decision: 'DISCUSS', comment: 'check the ITV', meeting: '2026-12-01' } });
  }, 180_000);

  afterAll(async () => {
    await t?.drop();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  /** Everything each data-access function gives `caller`, by name (what its pages, APIs and exports show). */
  async function everything(caller: Caller): Promise<Record<string, unknown>> {
    const out: Record<string, unknown> = {};
    const tryAdd = async (name: string, f: () => Promise<unknown>) => {
      try {
        out[name] = await f();
      } catch (e) {
        // refused by role: the refusal's message is what the caller sees
        out[`${name} (refused)`] = (e as Error).message;
      }
    };
    const view = await getStudyView(t.db, { caller, studyId });
    out.studyView = view;
    await tryAdd('runStatus', () => getStudyRunStatus(t.db, { caller, studyId }));
    await tryAdd('phaseSeries', () => getStudyPhaseSeries(t.db, store, { caller, studyId }));
    await tryAdd('metricsCsv', () => exportStudyMetricsCsv(t.db, { caller, studyId }));
    for (const p of view.phases)
      if (p.physicianGtvId)
        await tryAdd(
          `volume ${p.physicianGtvId}`,
          async () => (await getStudyVolume(t.db, store, { caller, studyId, request: { kind: 'mask', structureId: p.physicianGtvId! } })).grid,
        );
    await tryAdd('cohortCases', () => findCohortCases(t.db, { caller, filters: none }));
    await tryAdd('cohortFilters', () => findCohortFilterOptions(t.db, { caller }));
    await tryAdd('reviewQueue', () => findReviewQueue(t.db, { caller, criterion: 'low-dice' }));
    await tryAdd('reviewCase', () => getReviewCase(t.db, { caller, studyId, criterion: 'low-dice' }));
    await tryAdd('minutesCsv', async () => {
      const m = await findMeetingMinutes(t.db, { caller, meeting: '2026-12-01', purpose: 'export' });
      return formatMinutesCsv(minutesCsvRows(m), { identified: m.identified });
    });
    await tryAdd('jobs', () => findSegmentationRuns(t.db, { caller }));
    await tryAdd('auditCsv', async () => (await findAuditEvents(t.db, { caller, search: {} })).rows.map(auditCsvLine).join(''));
    await tryAdd('outcomeDataset', () => getOutcomeDataset(t.db, { caller }));
    await tryAdd('deidZip', async () => {
      const zip = await exportDeidStudy(t.db, { caller, studyId, store });
      return Object.entries(unzipSync(zip.bytes))
        .map(([name, bytes]) => `${name}\n${Buffer.from(bytes).toString('latin1')}`)
        .join('\n');
    });
    return out;
  }

  for (const caller of [RESEARCHER, REVIEWER, ADMIN]) {
    it(`${caller.role.toLowerCase()}: no planted fragment in any page data, API answer or export`, async () => {
      const all = await everything(caller);
      const leaks = Object.entries(all).flatMap(([name, v]) => found(v).map((n) => `${name}: ${n}`));
      expect(leaks).toEqual([]);
      // the check looked at real content: the viewer names the references by role and phase
      const view = all.studyView as Awaited<ReturnType<typeof getStudyView>>;
      expect(view.study.description).toBe('CT study');
      expect(view.metrics.map((m) => m.referenceName).sort()).toEqual(['GTV 0%', 'GTV 50%', 'ITV']);
      expect(all.metricsCsv).toBeDefined();
      expect((all.metricsCsv as { csv: string }).csv).toContain(',GTV 50%,');
      const filters = all.cohortFilters as Awaited<ReturnType<typeof findCohortFilterOptions>>;
      expect(filters.physicians).toHaveLength(1);
      expect(filters.physicians[0]).toMatch(/^Physician [A-Z2-9]{6}$/);
      const cases = all.cohortCases as Awaited<ReturnType<typeof findCohortCases>>;
      expect(cases.cases[0].physician).toBe(filters.physicians[0]);
    });
  }

  it('the de-identified zip names series by phase and ROIs by role (researcher)', async () => {
    const zip = await exportDeidStudy(t.db, { caller: RESEARCHER, studyId, store });
    const text = Object.values(unzipSync(zip.bytes))
      .map((b) => Buffer.from(b).toString('latin1'))
      .join('\n');
    expect(found(text)).toEqual([]);
    for (const s of ['4D CT phase 0%', '4D CT phase 50%', 'GTV 0%', 'GTV 50%', 'ITV', 'BODY']) expect(text).toContain(s);
  });

  it('no run stage, timing key or error carries a ROI name', async () => {
    expect(stages.length).toBeGreaterThan(3);
    expect(stages.flatMap(found)).toEqual([]);
    const run = await t.db.segmentationRun.findFirstOrThrow({ where: { studyId } });
    expect(found({ timings: run.timings, stage: run.stage, error: run.error })).toEqual([]);
  });

  it('a physicist sees the free text as stored, audited; exports stay normalised', async () => {
    const before = await t.db.auditEvent.count({ where: { action: 'study.view.identified' } });
    const view = await getStudyView(t.db, { caller: PHYSICIST, studyId });
    expect(view.study.description).toBe(STUDY_DESCRIPTION);
    expect(view.metrics.map((m) => m.referenceName).sort()).toEqual([roiName(0), roiName(50), ITV_NAME].sort());
    const events = await t.db.auditEvent.findMany({ where: { action: 'study.view.identified' }, orderBy: { id: 'asc' } });
    expect(events).toHaveLength(before + 1);
    expect(events.at(-1)!.details).toMatchObject({ fields: expect.arrayContaining(['studyDescription', 'structureNames']) });
    const c = await getReviewCase(t.db, { caller: PHYSICIST, studyId, criterion: 'low-dice' });
    expect(c.case.studyDescription).toBe(STUDY_DESCRIPTION);
    expect(await t.db.auditEvent.count({ where: { action: 'review.case.viewed_identified', userId: PHYSICIST.userId } })).toBe(1);
    const filters = await findCohortFilterOptions(t.db, { caller: PHYSICIST });
    expect(filters.physicians).toEqual([PHYSICIAN]);
    expect(await t.db.auditEvent.count({ where: { action: 'cohort.physicians.viewed_identified', userId: PHYSICIST.userId } })).toBe(1);
    // exports: the same normalised names for a physicist
    expect(found((await exportStudyMetricsCsv(t.db, { caller: PHYSICIST, studyId })).csv)).toEqual([]);
    const zip = await exportDeidStudy(t.db, { caller: PHYSICIST, studyId, store });
    expect(
      found(
        Object.values(unzipSync(zip.bytes))
          .map((b) => Buffer.from(b).toString('latin1'))
          .join('\n'),
      ),
    ).toEqual([]);
  });
});
